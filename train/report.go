package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/graftfile"
)

// Files a run report writes into its folder.
const (
	ReportHTML   = "report.html"
	LossPNG      = "loss.png"
	AccuracyPNG  = "accuracy.png"
	ConfusionPNG = "confusion.png"
	ConfigJSON   = "config.json"
)

// ReportSetting is one line of a report's configuration table.
type ReportSetting struct {
	Name, Value string
}

// ReportInput is what a run report shows.
type ReportInput struct {
	// Title heads the report (default "Graft run report").
	Title string
	// Model names the evaluated model (a file path).
	Model string
	// Config lists the run's settings in the order shown.
	Config []ReportSetting
	// History is the per-epoch log; without it the report has no
	// learning curves (as for a model evaluated on its own).
	History []EpochLog
	// Eval is the evaluation the report describes (required).
	Eval *Evaluation
	// Data is the dataset Eval ran on; its images become the thumbnails of
	// the worst predictions. Nil leaves them out.
	Data data.Dataset
	// Worst is how many of the worst-predicted images to show: 0 means 12,
	// a negative number none.
	Worst int
}

// WriteReport writes a run report into dir: config.json (the settings, when
// there are any), loss.png and accuracy.png (learning curves, when there is
// a history), confusion.png, and report.html, one self-contained page
// holding all of it. Every file is written atomically.
func WriteReport(dir string, r ReportInput) error {
	if r.Eval == nil || r.Eval.Confusion == nil {
		return errors.New("train: report: no evaluation to report")
	}
	if r.Title == "" {
		r.Title = "Graft run report"
	}
	if r.Worst == 0 {
		r.Worst = 12
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: report: %w", err)
	}
	if len(r.Config) > 0 {
		b, err := configJSON(r.Config)
		if err != nil {
			return fmt.Errorf("train: report: %w", err)
		}
		if err := writeFileAtomic(filepath.Join(dir, ConfigJSON), b); err != nil {
			return fmt.Errorf("train: report: %w", err)
		}
	}
	pngs := map[string][]byte{}
	if len(r.History) > 0 {
		for name, ch := range learningCurves(r.History) {
			b, err := ch.render(900, 460).png()
			if err != nil {
				return err
			}
			pngs[name] = b
		}
	}
	b, err := confusionImage(r.Eval.Confusion).png()
	if err != nil {
		return err
	}
	pngs[ConfusionPNG] = b
	for _, name := range []string{LossPNG, AccuracyPNG, ConfusionPNG} {
		if b, ok := pngs[name]; ok {
			if err := writeFileAtomic(filepath.Join(dir, name), b); err != nil {
				return fmt.Errorf("train: report: %w", err)
			}
		}
	}
	var thumbs []thumbnail
	if r.Data != nil && r.Worst > 0 {
		thumbs, err = worstThumbnails(r.Data, r.Eval, r.Worst)
		if err != nil {
			return fmt.Errorf("train: report: %w", err)
		}
	}
	page, err := reportPage(r, pngs, thumbs)
	if err != nil {
		return fmt.Errorf("train: report: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, ReportHTML), page); err != nil {
		return fmt.Errorf("train: report: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with b atomically.
func writeFileAtomic(path string, b []byte) error {
	return graftfile.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// learningCurves returns the loss and accuracy charts of a history, keyed
// by file name, with the phase boundaries marked.
func learningCurves(logs []EpochLog) map[string]*lineChart {
	n := len(logs)
	x := make([]float64, n)
	trL, vaL, trA, vaA := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	var marks []vmark
	for i, l := range logs {
		x[i] = float64(i + 1)
		trL[i], vaL[i] = l.TrainLoss, l.ValLoss
		trA[i], vaA[i] = 100*l.TrainAcc, 100*l.ValAcc
		if i == 0 || l.Phase != logs[i-1].Phase {
			mx := float64(i) + 0.5
			if i == 0 {
				mx = 1
			}
			marks = append(marks, vmark{x: mx, label: l.Phase, col: colMuted})
		}
	}
	points := n <= 40
	mk := func(title, ylabel string, tr, va []float64) *lineChart {
		return &lineChart{title: title, xLabel: "epoch", yLabel: ylabel, intX: true, marks: marks,
			series: []series{
				{name: "train", x: x, y: tr, col: colSeries[0], points: points},
				{name: "validation", x: x, y: va, col: colSeries[1], points: points},
			}}
	}
	return map[string]*lineChart{
		LossPNG:     mk("Loss per epoch", "loss", trL, vaL),
		AccuracyPNG: mk("Accuracy per epoch", "accuracy %", trA, vaA),
	}
}

// configJSON renders settings as one JSON object whose keys keep their
// order; a repeated name keeps its last value.
func configJSON(settings []ReportSetting) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("{\n")
	seen := map[string]int{}
	var order []ReportSetting
	for _, s := range settings {
		if i, ok := seen[s.Name]; ok {
			order[i].Value = s.Value
			continue
		}
		seen[s.Name] = len(order)
		order = append(order, s)
	}
	for i, s := range order {
		k, err := json.Marshal(s.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(s.Value)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "  %s: %s", k, v)
		if i < len(order)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}
