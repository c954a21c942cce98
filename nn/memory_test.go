package nn

import (
	"context"
	"runtime"
	"testing"
)

// TestHeapFlatAcrossEpochs is case C12, natively: after a GC at the end
// of every epoch, the heap in use at epoch 10 is within 5% of epoch 2 in
// every phase, so nothing accumulates per epoch (per-batch graphs, noise
// buffers, histories of tensors).
func TestHeapFlatAcrossEpochs(t *testing.T) {
	if testing.Short() {
		t.Skip("forty epochs")
	}
	const growthTol = 0.05
	ds, cfg := synthDataset(t)
	for _, tr := range []*Train{&cfg.Baseline, &cfg.DAE, &cfg.Pretrained, &cfg.FineTune} {
		tr.Epochs = 10
	}
	heap := map[Phase][]uint64{}
	obs := func(e Event) {
		if e.Kind != EventEpoch {
			return
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap[e.Phase] = append(heap[e.Phase], ms.HeapInuse)
	}
	if _, _, err := Run(context.Background(), ds, cfg, obs); err != nil {
		t.Fatal(err)
	}
	for _, p := range AllPhases {
		h := heap[p]
		if len(h) != 10 {
			t.Fatalf("%s: %d epochs observed, want 10", p, len(h))
		}
		if grow := float64(h[9])/float64(h[1]) - 1; grow > growthTol {
			t.Errorf("%s: heap in use grew %.1f%% from epoch 2 (%d B) to 10 (%d B), tol %.0f%%",
				p, 100*grow, h[1], h[9], 100*growthTol)
		} else {
			t.Logf("%s: heap %d B at epoch 2, %d B at epoch 10", p, h[1], h[9])
		}
	}
}
