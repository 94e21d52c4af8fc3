package data

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPreprocessJSONRoundTrip(t *testing.T) {
	p := KerasCaffePreprocess(299)
	p.Resize = ResizeCenterSquare
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Resize":"center-square"`, `"Order":"bgr"`, `"Scale":"caffe"`, `"Interpolation":"bilinear"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var q Preprocess
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	if q != p {
		t.Fatalf("round trip %+v, want %+v", q, p)
	}
	if err := json.Unmarshal([]byte(`{"Scale":"sideways"}`), &q); err == nil || !strings.Contains(err.Error(), "sideways") {
		t.Fatalf("unknown scale: err = %v", err)
	}
}
