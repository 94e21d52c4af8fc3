package train

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// File names inside a run's output folder.
const (
	BestFile        = "best.graft"
	LastFile        = "last.graft"
	InterruptedFile = "interrupted.graft"
	MetricsCSV      = "metrics.csv"
	MetricsJSON     = "metrics.json"
)

// trainerState is what resumption needs besides weights and optimizer.
type trainerState struct {
	Phase         int        `json:"phase"`
	Epoch         int        `json:"epoch"`
	Step          int64      `json:"step"`
	BadEpochs     int        `json:"bad_epochs"`
	BestPhaseLoss *float64   `json:"best_phase_loss,omitempty"`
	History       []EpochLog `json:"history"`
	Best          EpochLog   `json:"best"`
	Seed          uint64     `json:"seed"`
}

func (r *run) model(withState bool) (*graftfile.Model, error) {
	meta := map[string]any{}
	for k, v := range r.cfg.Meta {
		meta[k] = v
	}
	if n := len(r.hist.Epochs); n > 0 {
		last := r.hist.Epochs[n-1]
		meta["phase"], meta["epoch"], meta["val_accuracy"], meta["val_loss"] = last.Phase, last.Epoch, last.ValAcc, last.ValLoss
	}
	m := &graftfile.Model{Graph: r.net.Graph, Preprocess: r.net.Preprocess, Labels: r.net.Classes, Meta: meta}
	if withState {
		opt, err := r.opt.State()
		if err != nil {
			return nil, fmt.Errorf("train: checkpoint: %w", err)
		}
		st := trainerState{Phase: r.phase, Epoch: r.epoch, Step: r.step, BadEpochs: r.badEpochs, History: r.hist.Epochs,
			Best: r.hist.Best, Seed: r.cfg.Seed}
		if !math.IsInf(r.bestPhaseLoss, 0) {
			v := r.bestPhaseLoss
			st.BestPhaseLoss = &v
		}
		js, err := json.Marshal(st)
		if err != nil {
			return nil, fmt.Errorf("train: checkpoint: %w", err)
		}
		m.Blobs = map[string][]byte{"optimizer": opt, "trainer": js}
	}
	return m, nil
}

// checkpoint writes last.graft (with optimizer and trainer state), best.graft
// when the epoch improved, and the metrics log. Every file is replaced
// atomically, so a crash at any moment leaves the previous complete files.
func (r *run) checkpoint(improved bool) error {
	if r.cfg.OutDir == "" {
		return nil
	}
	if err := os.MkdirAll(r.cfg.OutDir, 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if improved {
		m, err := r.model(false)
		if err != nil {
			return err
		}
		if err := graftfile.Save(filepath.Join(r.cfg.OutDir, BestFile), m); err != nil {
			return err
		}
	}
	m, err := r.model(true)
	if err != nil {
		return err
	}
	if err := graftfile.Save(filepath.Join(r.cfg.OutDir, LastFile), m); err != nil {
		return err
	}
	if r.cfg.Cache != nil {
		if err := r.cfg.Cache.Flush(); err != nil {
			return err
		}
	}
	return WriteMetrics(r.cfg.OutDir, r.hist.Epochs)
}

// saveInterrupted keeps the weights of an interrupted epoch, so that no
// work is lost; resumption still starts from last.graft, which holds the
// last complete epoch.
func (r *run) saveInterrupted() {
	if r.cfg.OutDir == "" {
		return
	}
	if m, err := r.model(false); err == nil {
		graftfile.Save(filepath.Join(r.cfg.OutDir, InterruptedFile), m)
	}
}

// removeStaleTemps deletes the temporary files a killed run can leave in
// the output folder (WriteAtomic's ".name.tmp-*"): never read, but clutter.
func removeStaleTemps(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, m := range matches {
		os.Remove(m)
	}
}

// restore continues a run from OutDir/last.graft, if there is one.
func (r *run) restore() error {
	path := filepath.Join(r.cfg.OutDir, LastFile)
	m, err := graftfile.Load(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if err := CopyWeights(r.net.Graph, m.Graph); err != nil {
		return fmt.Errorf("train: resume from %s: %w", path, err)
	}
	if err := r.opt.LoadState(m.Blobs["optimizer"]); err != nil {
		return fmt.Errorf("train: resume from %s: %w", path, err)
	}
	var st trainerState
	if err := json.Unmarshal(m.Blobs["trainer"], &st); err != nil {
		return fmt.Errorf("train: resume from %s: trainer state: %w", path, err)
	}
	if st.Seed != r.cfg.Seed {
		return fmt.Errorf("train: resume from %s: it was trained with seed %d, not %d", path, st.Seed, r.cfg.Seed)
	}
	if st.Phase < 0 || st.Phase > len(r.cfg.Phases) || (st.Phase < len(r.cfg.Phases) && st.Epoch > r.cfg.Phases[st.Phase].Epochs) {
		return fmt.Errorf("train: resume from %s: position phase %d epoch %d does not fit this run's phases", path, st.Phase+1, st.Epoch)
	}
	r.phase, r.epoch, r.step, r.badEpochs = st.Phase, st.Epoch, st.Step, st.BadEpochs
	r.bestPhaseLoss = math.Inf(1)
	if st.BestPhaseLoss != nil {
		r.bestPhaseLoss = *st.BestPhaseLoss
	}
	r.hist.Epochs, r.hist.Best = st.History, st.Best
	if r.phase < len(r.cfg.Phases) && r.epoch >= r.cfg.Phases[r.phase].Epochs {
		r.phase, r.epoch = r.phase+1, 0
		r.bestPhaseLoss, r.badEpochs = math.Inf(1), 0
	}
	return nil
}

// CopyWeights copies every parameter and state tensor of src into the
// same-named tensor of dst; names and shapes must match exactly.
func CopyWeights(dst, src *nn.Graph) error {
	from := map[string]*tensor.Tensor{}
	for _, p := range append(src.Params(), src.State()...) {
		from[p.Name] = p.Value
	}
	to := append(dst.Params(), dst.State()...)
	if len(to) != len(from) {
		return fmt.Errorf("the saved model has %d tensors, this network %d", len(from), len(to))
	}
	for _, p := range to {
		t, ok := from[p.Name]
		if !ok {
			return fmt.Errorf("tensor %s is missing from the saved model", p.Name)
		}
		if !tensor.SameShape(t, p.Value) {
			return fmt.Errorf("tensor %s: saved shape %v, network shape %v", p.Name, t.Shape, p.Value.Shape)
		}
		copy(p.Value.Data, t.Data)
	}
	return nil
}

// WriteMetrics writes the epoch log as CSV and JSON into dir, atomically.
func WriteMetrics(dir string, logs []EpochLog) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"phase", "epoch", "step", "lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds", "feature_cache"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, l := range logs {
		w.Write([]string{l.Phase, strconv.Itoa(l.Epoch), strconv.FormatInt(l.Step, 10), f(l.LR), f(l.TrainLoss), f(l.TrainAcc),
			f(l.ValLoss), f(l.ValAcc), f(l.Seconds), strconv.FormatBool(l.Cached)})
	}
	w.Flush()
	if err := graftfile.WriteAtomic(filepath.Join(dir, MetricsCSV), func(out io.Writer) error {
		_, err := out.Write(buf.Bytes())
		return err
	}); err != nil {
		return err
	}
	js, err := json.MarshalIndent(logs, "", "  ")
	if err != nil {
		return err
	}
	return graftfile.WriteAtomic(filepath.Join(dir, MetricsJSON), func(out io.Writer) error {
		_, err := out.Write(js)
		return err
	})
}
