package tensor

import (
	"math"
	"testing"
)

func TestReshapeSharesDataAndInfers(t *testing.T) {
	a := New(2, 3, 4)
	b, err := a.Reshape(6, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !EqualShapes(b.Shape, []int{6, 4}) {
		t.Fatalf("shape %v, want [6 4]", b.Shape)
	}
	b.Data[5] = 7
	if a.Data[5] != 7 {
		t.Fatal("reshape copied data")
	}
	if _, err := a.Reshape(5, -1); err == nil {
		t.Fatal("reshape of 24 elements to [5 -1] succeeded")
	}
	if _, err := a.Reshape(-1, -1); err == nil {
		t.Fatal("two inferred dimensions accepted")
	}
}

func TestFromDataChecksLength(t *testing.T) {
	if _, err := FromData(make([]float32, 5), 2, 3); err == nil {
		t.Fatal("5 elements accepted for shape [2 3]")
	}
	x, err := FromData([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil || x.Dim(-1) != 3 || x.Rank() != 2 {
		t.Fatalf("FromData: %v %v", x, err)
	}
}

func TestCloneAndNonFinite(t *testing.T) {
	a := New(3)
	c := a.Clone()
	c.Data[0] = 1
	if a.Data[0] != 0 {
		t.Fatal("clone shares data")
	}
	if a.FirstNonFinite() != -1 {
		t.Fatal("zeros reported non-finite")
	}
	a.Data[2] = float32(math.Inf(1))
	if a.FirstNonFinite() != 2 {
		t.Fatalf("FirstNonFinite = %d, want 2", a.FirstNonFinite())
	}
}
