package train

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/graft-ml/graft/data"
)

func TestWriteReport(t *testing.T) {
	net := testNetwork(t, 1)
	val := blobs{n: 24, classes: 3, seed: 2}
	cfg := Config{Phases: []Phase{headOnly(3), {Name: "fine-tune", Epochs: 2, LR: 0.005}}, BatchSize: 8, Seed: 4, Workers: 2}
	hist, err := Fit(context.Background(), net, blobs{n: 48, classes: 3, seed: 1}, val, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(context.Background(), net, val, 16, 2)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	in := ReportInput{Title: "blobs run", Model: "best.graft", History: hist.Epochs, Eval: ev, Data: val, Worst: 5,
		Config: []ReportSetting{{"optimizer", "adam"}, {"batch", "8"}, {"note", "a \"quoted\" <value>"}}}
	if err := WriteReport(dir, in); err != nil {
		t.Fatal(err)
	}
	cj, err := os.ReadFile(filepath.Join(dir, ConfigJSON))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"optimizer\": \"adam\",\n  \"batch\": \"8\",\n  \"note\": \"a \\\"quoted\\\" \\u003cvalue\\u003e\"\n}\n"
	if string(cj) != want {
		t.Errorf("config.json = %q, want %q", cj, want)
	}
	var parsed map[string]string
	if err := json.Unmarshal(cj, &parsed); err != nil || parsed["note"] != `a "quoted" <value>` || len(parsed) != 3 {
		t.Errorf("config.json parses to %v, %v", parsed, err)
	}
	for _, name := range []string{LossPNG, AccuracyPNG} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		savePlot(t, name, b)
		decodePNG(t, b, 900, 460)
	}
	b, err := os.ReadFile(filepath.Join(dir, ConfusionPNG))
	if err != nil {
		t.Fatal(err)
	}
	decodePNG(t, b, -1, -1)
	page, err := os.ReadFile(filepath.Join(dir, ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	savePlot(t, "report.html", page)
	html := string(page)
	// Self-contained: no links or scripts to fetch.
	for _, bad := range []string{"http:", "https:", "<script", "<link", "src=\"/", "src=\"./", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	// Three charts and five thumbnails, inline.
	if n := strings.Count(html, `src="data:image/png;base64,`); n != 3 {
		t.Errorf("%d inline PNG charts, want 3", n)
	}
	if n := strings.Count(html, `src="data:image/jpeg;base64,`); n != 5 {
		t.Errorf("%d inline JPEG thumbnails, want 5", n)
	}
	if strings.Contains(html, "ZgotmplZ") {
		t.Error("a data URI was rejected by the template")
	}
	wantText := []string{"blobs run", fmt.Sprintf("%.2f%%", 100*ev.Accuracy()), fmt.Sprintf("%.2f%%", 100*ev.Top5),
		fmt.Sprintf("%.4f", ev.Loss), "optimizer", "fine-tune", fmt.Sprintf("%.4f", hist.Epochs[4].ValLoss), "sample "}
	for _, m := range ev.Confusion.PerClass() {
		wantText = append(wantText, fmt.Sprintf("<td class=\"l\">%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%d</td>",
			m.Class, m.Precision, m.Recall, m.F1, m.Support))
	}
	for _, w := range wantText {
		if !strings.Contains(html, w) {
			t.Errorf("report.html lacks %q", w)
		}
	}
	// One metrics row per epoch.
	if rows := regexp.MustCompile(`<td class="l">(head|fine-tune)</td>`).FindAllString(html, -1); len(rows) != 5 {
		t.Errorf("%d epoch rows, want 5", len(rows))
	}
	// No temporary files left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 5 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("report folder holds %v, want the 5 report files", names)
	}
}

func TestWriteReportWithoutHistoryOrData(t *testing.T) {
	ev := newEvaluation([]string{"a", "b"})
	ev.Confusion.Add(0, 0)
	ev.Confusion.Add(1, 0)
	dir := t.TempDir()
	if err := WriteReport(dir, ReportInput{Eval: ev}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, LossPNG)); !os.IsNotExist(err) {
		t.Errorf("loss curve without a history: %v", err)
	}
	page, err := os.ReadFile(filepath.Join(dir, ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "50.00%") {
		t.Error("accuracy 50% missing")
	}
	if err := WriteReport(dir, ReportInput{}); err == nil {
		t.Error("a report without an evaluation succeeded")
	}
}

func TestShrinkAveragesAndKeepsAspect(t *testing.T) {
	src := data.NewRGB(300, 150)
	for y := range 150 {
		for x := range 300 {
			v := uint8(0)
			if (x+y)%2 == 1 {
				v = 200
			}
			src.Set(x, y, v, 50, 255-v)
		}
	}
	got := shrink(src, 128)
	if sz := got.Bounds().Size(); sz.X != 128 || sz.Y != 64 {
		t.Fatalf("thumbnail %v, want 128x64", sz)
	}
	// A checkerboard averages to its mean grey.
	c := got.RGBAAt(64, 32)
	if c.R < 90 || c.R > 110 || c.G != 50 || c.B < 145 || c.B > 165 {
		t.Errorf("pixel %v, want about (100, 50, 155)", c)
	}
	small := data.NewRGB(20, 10)
	if sz := shrink(small, 128).Bounds().Size(); sz.X != 20 || sz.Y != 10 {
		t.Errorf("a small image was resized to %v", sz)
	}
}
