package reliability

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/graft-ml/graft/train"
)

// trainArgs are the arguments of the small training run the crash tests
// interrupt: 3 classes of 20 images, 12 head epochs then 8 fine-tuning
// epochs, with the feature cache in its own folder.
func trainArgs(dataDir, base, out, cache string, extra ...string) []string {
	return append([]string{"train", "--data", dataDir, "--base", base, "--out", out, "--head-epochs", "12",
		"--finetune-epochs", "8", "--batch", "8", "--seed", "7", "--workers", "1", "--feature-cache", cache}, extra...)
}

// killAfter starts graft with args, sends it SIGKILL after d (unless it
// finished first) and reports whether the kill landed.
func killAfter(t *testing.T, d time.Duration, args []string) (killed bool, stdout string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := graftCmd(t, ctx, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("graft train failed before the kill: %v\n%s", err, out.String())
		}
		return false, out.String()
	case <-time.After(d):
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := <-done
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return true, out.String()
		}
		if err != nil {
			t.Fatalf("graft train failed: %v\n%s", err, out.String())
		}
		return false, out.String()
	}
}

// TestKilledTrainingResumes trains once without interruption, then runs the
// same training again, killing it with SIGKILL at seeded random moments and
// resuming it with --resume each time. After every kill, every file in the
// run folder must be complete (models load with their checksums, the
// metrics parse) and the checkpoint's history must match the uninterrupted
// run's; the resumed run must finish with every epoch logged once and
// losses and weights equal to the uninterrupted run's (to rounding: see
// near).
func TestKilledTrainingResumes(t *testing.T) {
	dataDir := writeDataset(t, 3, 20)
	base := writeBase(t, 16)

	refOut := filepath.Join(t.TempDir(), "ref")
	start := time.Now()
	runGraft(t, trainArgs(dataDir, base, refOut, filepath.Join(t.TempDir(), "cache"))...).wantCode(t, 0)
	whole := time.Since(start)
	ref := checkRunFolder(t, refOut)
	if len(ref.metrics) != 20 || len(ref.temps) != 0 {
		t.Fatalf("uninterrupted run: %d epochs logged, temporary files %v", len(ref.metrics), ref.temps)
	}

	kills := 6
	if testing.Short() {
		kills = 3
	}
	rng := rand.New(rand.NewPCG(2024, 5))
	out := filepath.Join(t.TempDir(), "run")
	cache := filepath.Join(t.TempDir(), "cache")
	landed := 0
	for i := 0; i < kills; i++ {
		var extra []string
		if i > 0 {
			extra = []string{"--resume"}
		}
		// Kill somewhere in the first 40% of a whole run's time, start-up
		// included, so that most kills fall while it trains.
		d := time.Duration(rng.Float64() * 0.4 * float64(whole))
		killed, _ := killAfter(t, d, trainArgs(dataDir, base, out, cache, extra...))
		rf := checkRunFolder(t, out)
		if killed {
			landed++
		}
		if m := rf.models[train.LastFile]; m != nil {
			sameLosses(t, "checkpoint after kill", checkpointHistory(t, m), ref.metrics)
		}
		sameLosses(t, "metrics.json after kill", rf.metrics, ref.metrics)
		t.Logf("kill %d after %v: landed %v, epochs checkpointed %d, temporary files %d", i+1, d.Round(time.Millisecond),
			killed, len(rf.metrics), len(rf.temps))
	}
	if landed == 0 {
		t.Fatal("no kill landed while graft was running")
	}

	// Resume to the end; the temporary files that kills during a save
	// left must not matter.
	temps := len(checkRunFolder(t, out).temps)
	runGraft(t, trainArgs(dataDir, base, out, cache, "--resume")...).wantCode(t, 0)
	rf := checkRunFolder(t, out)
	if len(rf.metrics) != len(ref.metrics) {
		t.Fatalf("resumed run logged %d epochs, want %d", len(rf.metrics), len(ref.metrics))
	}
	sameLosses(t, "metrics.json of the resumed run", rf.metrics, ref.metrics)
	for _, name := range []string{train.LastFile, train.BestFile} {
		if rf.models[name] == nil {
			t.Fatalf("resumed run has no %s", name)
		}
		sameWeights(t, name, rf.models[name], ref.models[name])
	}
	t.Logf("%d of %d kills landed; %d temporary files left by kills during a save", landed, kills, temps)
}
