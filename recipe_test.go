package graft_test

import (
	"strings"
	"testing"

	"github.com/graft-ml/graft"
)

func TestRecipePhases(t *testing.T) {
	ph, err := graft.Recipe{HeadEpochs: 10, FineTuneEpochs: 4, FineTuneBlocks: 2, LR: 1e-2}.Phases()
	if err != nil {
		t.Fatal(err)
	}
	if len(ph) != 2 || ph[0].Name != "head" || ph[0].Epochs != 10 || !ph[0].Freeze.Base || ph[0].LR != 1e-2 ||
		ph[1].Name != "fine-tune" || ph[1].Epochs != 4 || ph[1].Freeze.LastBlocks != 2 || ph[1].LR != 1e-3 {
		t.Fatalf("two-phase recipe: %+v", ph)
	}

	// Gradual unfreezing: 7 epochs over 3 stages of 5 blocks.
	ph, err = graft.Recipe{HeadEpochs: 10, FineTuneEpochs: 7, FineTuneBlocks: 5, GradualStages: 3, LR: 1e-2, FineTuneLR: 5e-4}.Phases()
	if err != nil {
		t.Fatal(err)
	}
	if len(ph) != 4 {
		t.Fatalf("%d phases, want head and 3 stages: %+v", len(ph), ph)
	}
	wantBlocks, wantEpochs, total := []int{2, 4, 5}, []int{2, 2, 3}, 0
	for s, p := range ph[1:] {
		if p.Freeze.LastBlocks != wantBlocks[s] || !p.Freeze.Base || p.Epochs != wantEpochs[s] || p.LR != 5e-4 {
			t.Errorf("stage %d: %+v, want the last %d blocks for %d epochs at 5e-4", s+1, p, wantBlocks[s], wantEpochs[s])
		}
		total += p.Epochs
		for _, q := range ph[:s+1] {
			if q.Name == p.Name {
				t.Errorf("phase name %q repeated", p.Name)
			}
		}
	}
	if total != 7 {
		t.Errorf("stages train %d epochs, want 7", total)
	}

	for _, bad := range []graft.Recipe{
		{HeadEpochs: 1, FineTuneEpochs: 4, GradualStages: 2},                    // all blocks: no count to spread
		{HeadEpochs: 1, FineTuneEpochs: 2, FineTuneBlocks: 4, GradualStages: 3}, // fewer epochs than stages
		{},
	} {
		if _, err := bad.Phases(); err == nil || !strings.Contains(err.Error(), "graft: ") {
			t.Errorf("recipe %+v: error %v, want one", bad, err)
		}
	}
}
