package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/graft-ml/graft"
	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/train"
)

func init() {
	register(&command{name: "eval", summary: "measure a trained model on labelled images; write a report", run: runEval})
}

const evalHelp = `Usage:
  graft eval --model FILE --data DIR|CSV [--out DIR]

Evaluates a Graft model (such as a training run's best.graft) on labelled
images: a folder with one sub-folder per class, or a CSV manifest of
path,label lines. The data's classes are matched by name to the model's
labels; the data may hold fewer classes than the model, not others.

Prints the accuracy, top-5 accuracy, loss, precision, recall and F1 per
class, and the confusion matrix. With --out, also writes a report folder:
report.html (one self-contained page: metrics, confusion matrix, the worst
predicted images), confusion.png and config.json.

Example:
  graft eval --model runs/pets/best.graft --data pets-test/
  graft eval --model pets.graft --data test.csv --out reports/pets
`

func runEval(e *env, args []string) error {
	fs := e.flags("eval", evalHelp)
	modelPath := fs.String("model", "", "Graft model file to evaluate (required)")
	dataPath := fs.String("data", "", "image folder (one sub-folder per class) or CSV manifest (required)")
	out := fs.String("out", "", "folder to write the report into (default: no report)")
	batch := fs.Int("batch", 64, "batch size")
	workers := fs.Int("workers", 0, "image decoding workers (default: one per core)")
	worst := fs.Int("worst", 12, "worst-predicted images shown in the report")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("eval", "unexpected argument %q: give the data with --data", pos[0])
	case *modelPath == "":
		return usagef("eval", "--model is required")
	case *dataPath == "":
		return usagef("eval", "--data is required")
	case *batch < 1:
		return usagef("eval", "--batch %d: want at least 1", *batch)
	case *worst < 0:
		return usagef("eval", "--worst %d: want 0 or more", *worst)
	}
	m, err := graft.Load(*modelPath)
	if err != nil {
		return err
	}
	ds, err := openDataset(*dataPath)
	if err != nil {
		return err
	}
	labelled, err := matchClasses(ds, m.Network().Classes, *modelPath)
	if err != nil {
		return err
	}
	ev, err := train.Evaluate(e.ctx, m.Network(), labelled, *batch, *workers)
	if err != nil {
		return fmt.Errorf("evaluating %s on %s: %w", *modelPath, *dataPath, err)
	}
	fmt.Fprintf(e.stdout, "model     %s (%d classes)\ndata      %s: %d images of %d classes\n\n", *modelPath, len(m.Network().Classes),
		*dataPath, ds.Len(), len(ds.Classes))
	writeEvaluation(e.stdout, ev)
	if *out == "" {
		return nil
	}
	n := *worst
	if n == 0 {
		n = -1 // WriteReport's "none"
	}
	err = train.WriteReport(*out, train.ReportInput{Title: "Graft evaluation: " + filepath.Base(*modelPath), Model: *modelPath,
		Config: []train.ReportSetting{{Name: "model", Value: *modelPath}, {Name: "data", Value: *dataPath},
			{Name: "images", Value: fmt.Sprint(ds.Len())}, {Name: "arch", Value: m.Arch}},
		Eval: ev, Data: labelled, Worst: n})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nreport: %s\n", filepath.Join(*out, train.ReportHTML))
	return nil
}

// writeEvaluation prints an evaluation's summary, per-class metrics and
// confusion matrix.
func writeEvaluation(w io.Writer, ev *train.Evaluation) {
	cm := ev.Confusion
	right := 0
	for i := range cm.Counts {
		right += cm.Counts[i][i]
	}
	fmt.Fprintf(w, "accuracy  %.2f%%  (%d of %d)\ntop-5     %.2f%%\nloss      %.4f\nmacro F1  %.4f\n\n", 100*ev.Accuracy(),
		right, cm.Total(), 100*ev.Top5, ev.Loss, cm.MacroF1())
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintf(tw, "class\t%9s\t%6s\t%5s\t%7s\n", "precision", "recall", "F1", "support")
	for _, c := range cm.PerClass() {
		fmt.Fprintf(tw, "%s\t%9.3f\t%6.3f\t%5.3f\t%7d\n", c.Class, c.Precision, c.Recall, c.F1, c.Support)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nconfusion matrix (rows: true class, columns: predicted class by number)\n")
	for i, name := range cm.Classes {
		fmt.Fprintf(w, "  %3d  %s\n", i, name)
	}
	io.WriteString(w, cm.String())
}

// relabeled is a dataset whose labels are re-numbered to index a model's
// classes.
type relabeled struct {
	*data.FileDataset
	toModel []int
	classes []string
}

// Label returns sample i's class as the model numbers it.
func (r *relabeled) Label(i int) int { return r.toModel[r.FileDataset.Label(i)] }

// ClassNames returns the model's classes.
func (r *relabeled) ClassNames() []string { return r.classes }

// SamplePath returns sample i's file, for the report.
func (r *relabeled) SamplePath(i int) string { return r.Paths[i] }

// matchClasses maps ds's classes by name onto a model's; every class of
// the data must be one the model knows.
func matchClasses(ds *data.FileDataset, modelClasses []string, model string) (*relabeled, error) {
	if len(modelClasses) == 0 {
		return nil, fmt.Errorf("%s has no class labels to match the data's classes to", model)
	}
	r := &relabeled{FileDataset: ds, classes: modelClasses}
	var missing []string
	for _, name := range ds.Classes {
		k := slices.Index(modelClasses, name)
		if k < 0 {
			missing = append(missing, name)
		}
		r.toModel = append(r.toModel, k)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s has no class %s (it knows %s)", model, quoteList(missing, 10), quoteList(modelClasses, 10))
	}
	return r, nil
}

// quoteList quotes up to n names, comma-separated, noting how many more.
func quoteList(names []string, n int) string {
	var q []string
	for i, s := range names {
		if i == n {
			q = append(q, fmt.Sprintf("and %d more", len(names)-n))
			break
		}
		q = append(q, fmt.Sprintf("%q", s))
	}
	return strings.Join(q, ", ")
}

// writeRunReport evaluates a finished run's best model on the validation
// set and writes the report into the run folder. The training itself has
// succeeded, so a failure here is a warning, not an error.
func writeRunReport(e *env, fs *helpedFlagSet, out string, valSet data.Dataset, hist *train.History) {
	path := filepath.Join(out, train.BestFile)
	err := func() error {
		m, err := graft.Load(path)
		if err != nil {
			return err
		}
		ev, err := train.Evaluate(e.ctx, m.Network(), valSet, 64, 0)
		if err != nil {
			return err
		}
		var cfg []train.ReportSetting
		fs.VisitAll(func(f *flag.Flag) {
			cfg = append(cfg, train.ReportSetting{Name: "--" + f.Name, Value: f.Value.String()})
		})
		return train.WriteReport(out, train.ReportInput{Title: "Graft training run: " + filepath.Base(filepath.Clean(out)),
			Model: path, Config: cfg, History: hist.Epochs, Eval: ev, Data: valSet})
	}()
	if err != nil {
		fmt.Fprintf(e.stderr, "graft: warning: no run report: %v\n", err)
		return
	}
	fmt.Fprintf(e.stdout, "report: %s\n", filepath.Join(out, train.ReportHTML))
}
