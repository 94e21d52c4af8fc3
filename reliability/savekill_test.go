package reliability

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/nn"
)

// saveLoopEnv names the file the helper process saves to, over and over.
const saveLoopEnv = "GRAFT_RELIABILITY_SAVE_LOOP"

// bigModel is a single dense layer of 2M weights (8 MB), all equal to v.
func bigModel(t testing.TB, v float32) *graftfile.Model {
	g := nn.NewGraph()
	d, err := nn.NewDense("fc", nn.DenseConfig{In: 1024, Out: 2048})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Input("x"); err != nil {
		t.Fatal(err)
	}
	if err := g.Add("fc", d, "x"); err != nil {
		t.Fatal(err)
	}
	for _, p := range g.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] = v
		}
	}
	return &graftfile.Model{Graph: g, Meta: map[string]any{"version": v}}
}

// TestHelperSaveLoop is not a test: run by TestKillDuringSave as a
// subprocess, it saves models of version 2, 3, 4 ... to one file until it
// is killed.
func TestHelperSaveLoop(t *testing.T) {
	path := os.Getenv(saveLoopEnv)
	if path == "" {
		t.Skip("helper process for TestKillDuringSave")
	}
	for v := float32(2); ; v++ {
		if err := graftfile.Save(path, bigModel(t, v)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKillDuringSave kills a process that is saving an 8 MB model over an
// existing one, at seeded random moments, and checks that the file on disk
// is always one complete model (the old one or a newer one, whole), never
// a mix or a truncated file.
func TestKillDuringSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.graft")
	if err := graftfile.Save(path, bigModel(t, 1)); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	rounds := 8
	if testing.Short() {
		rounds = 4
	}
	for i := 0; i < rounds; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSaveLoop$")
		cmd.Env = append(os.Environ(), saveLoopEnv+"="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		d := time.Duration(100+rng.IntN(1500)) * time.Millisecond
		time.Sleep(d)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("helper ended by itself: %v", cmd.ProcessState)
		}
		m, err := graftfile.Load(path)
		if err != nil {
			t.Fatalf("round %d, kill after %v: %v", i+1, d, err)
		}
		v := m.Graph.Params()[0].Value.Data[0]
		for _, p := range m.Graph.Params() {
			for j, x := range p.Value.Data {
				if x != v {
					t.Fatalf("round %d: %s[%d] = %v, the rest of the file is version %v", i+1, p.Name, j, x, v)
				}
			}
		}
		if m.Meta["version"] != float64(v) {
			t.Fatalf("round %d: weights of version %v, metadata of version %v", i+1, v, m.Meta["version"])
		}
		entries, _ := os.ReadDir(dir)
		t.Logf("round %d: killed after %v, file holds version %v, %d temporary files beside it", i+1, d, v, len(entries)-1)
	}
}
