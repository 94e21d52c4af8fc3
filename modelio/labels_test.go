package modelio

import "testing"

func TestLabelName(t *testing.T) {
	labels := []string{"cat", " ", "dog"}
	for k, want := range map[int]string{0: "cat", 1: "class 1", 2: "dog", 3: "class 3", -1: "class -1"} {
		if got := LabelName(labels, k); got != want {
			t.Errorf("LabelName(%d) = %q, want %q", k, got, want)
		}
	}
	if got := LabelName(nil, 0); got != "class 0" {
		t.Errorf("LabelName without labels = %q, want class 0", got)
	}
}
