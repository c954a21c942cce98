package nn

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sync"
	"testing"

	"warmstart/nn/data"
)

// runReplicas runs cfg as size data-parallel replicas on goroutines and
// returns each replica's report and models.
func runReplicas(t *testing.T, ds *data.Dataset, cfg Config, size int) ([]*Report, []map[Phase]*Model) {
	t.Helper()
	reps, models, errs := make([]*Report, size), make([]map[Phase]*Model, size), make([]error, size)
	var wg sync.WaitGroup
	for r, rs := range LocalReplicas(size) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[r], models[r], errs[r] = RunWith(context.Background(), ds, cfg, nil, RunOptions{Replicas: rs})
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", r, err)
		}
	}
	return reps, models
}

// TestReplicasAgree trains all four phases on two and three replicas:
// the replicas must end with identical weights, a second run must repeat
// the first bit for bit, and the numbers must match a single-replica run
// up to float32 summation order. With -short (the race detector's run,
// where each run takes seconds) only two replicas.
func TestReplicasAgree(t *testing.T) {
	ds, cfg := synthDataset(t)
	single, singleModels, err := RunWith(context.Background(), ds, cfg, nil, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int{2, 3}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, size := range sizes {
		reps, models := runReplicas(t, ds, cfg, size)
		again, againModels := runReplicas(t, ds, cfg, size)
		for p := range singleModels {
			h := hashParams(models[0][p].Params)
			for r := 1; r < size; r++ {
				if hashParams(models[r][p].Params) != h {
					t.Errorf("%d replicas: replica %d's %s weights differ from replica 0's", size, r, p)
				}
			}
			if hashParams(againModels[0][p].Params) != h {
				t.Errorf("%d replicas: a second run gave other %s weights", size, p)
			}
		}
		if !equalNumbers(numbers(reps[0]), numbers(again[0])) {
			t.Errorf("%d replicas: a second run gave other numbers", size)
		}
		// Against one replica: the same curves up to rounding.
		got, want := reps[0], single
		for _, pair := range [][2]*ClassifierResult{{got.Baseline, want.Baseline}, {got.Pretrained, want.Pretrained}, {got.FineTuned, want.FineTuned}} {
			for e := range pair[1].History {
				g, w := pair[0].History[e], pair[1].History[e]
				if math.Abs(g.TrainLoss-w.TrainLoss) > 1e-3*math.Abs(w.TrainLoss) || math.Abs(g.ValLoss-w.ValLoss) > 1e-3*math.Abs(w.ValLoss) {
					t.Errorf("%d replicas: %s epoch %d: losses %v/%v, one replica %v/%v",
						size, pair[1].Phase, e+1, g.TrainLoss, g.ValLoss, w.TrainLoss, w.ValLoss)
				}
				if math.Abs(g.TrainAcc-w.TrainAcc) > 0.02 {
					t.Errorf("%d replicas: %s epoch %d: train accuracy %v, one replica %v", size, pair[1].Phase, e+1, g.TrainAcc, w.TrainAcc)
				}
			}
		}
		if g, w := got.DAE.TrainMSE, want.DAE.TrainMSE; math.Abs(g-w) > 1e-3*w {
			t.Errorf("%d replicas: dae train MSE %v, one replica %v", size, g, w)
		}
		if g, w := got.DAE.ValMSE, want.DAE.ValMSE; math.Abs(g-w) > 1e-3*w {
			t.Errorf("%d replicas: dae validation MSE %v, one replica %v", size, g, w)
		}
		if got.DAE.Grid.N != want.DAE.Grid.N || len(got.DAE.Grid.Denoised) != len(want.DAE.Grid.Denoised) {
			t.Errorf("%d replicas: rank 0's sample grid has %d images, one replica's %d", size, got.DAE.Grid.N, want.DAE.Grid.N)
		}
		for e := range want.DAE.History {
			g, w := got.DAE.History[e], want.DAE.History[e]
			if math.Abs(g.TrainLoss-w.TrainLoss) > 1e-3*w.TrainLoss || math.Abs(g.ValLoss-w.ValLoss) > 1e-3*w.ValLoss {
				t.Errorf("%d replicas: dae epoch %d: MSE %v/%v, one replica %v/%v", size, e+1, g.TrainLoss, g.ValLoss, w.TrainLoss, w.ValLoss)
			}
		}
	}
}

func equalNumbers(a, b Report) bool {
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	return errX == nil && errY == nil && string(x) == string(y)
}

// TestReplicasEmptyShare runs batches smaller than the replica count, so
// some replicas have no images in a step, and a last partial batch.
func TestReplicasEmptyShare(t *testing.T) {
	ds, cfg := synthDataset(t)
	cfg.Phases = []Phase{PhaseBaseline, PhaseDAE}
	cfg.Baseline.BatchSize, cfg.DAE.BatchSize = 2, 3
	cfg.Baseline.Epochs, cfg.DAE.Epochs = 1, 1
	cfg.Splits.SupTrain, cfg.Splits.UnsupTrain = 20, 31
	_, models := runReplicas(t, ds, cfg, 4)
	for p := range models[0] {
		for r := 1; r < 4; r++ {
			if hashParams(models[r][p].Params) != hashParams(models[0][p].Params) {
				t.Errorf("replica %d's %s weights differ", r, p)
			}
		}
	}
}

// TestReplicaLeaves checks that a replica whose run stops makes the
// others fail instead of waiting for it forever.
func TestReplicaLeaves(t *testing.T) {
	ds, cfg := synthDataset(t)
	cfg.Phases = []Phase{PhaseBaseline}
	rs := LocalReplicas(2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error)
	go func() {
		_, _, err := RunWith(context.Background(), ds, cfg, nil, RunOptions{Replicas: rs[1]})
		done <- err
	}()
	if _, _, err := RunWith(ctx, ds, cfg, nil, RunOptions{Replicas: rs[0]}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled replica: %v", err)
	}
	if err := <-done; !errors.Is(err, ErrReplicaGone) {
		t.Errorf("the other replica: got %v, want ErrReplicaGone", err)
	}
	if _, _, err := RunWith(context.Background(), ds, cfg, nil, RunOptions{Replicas: badReplicas{}}); !errors.Is(err, ErrConfig) {
		t.Errorf("replica 3 of 2: got %v, want ErrConfig", err)
	}
}

type badReplicas struct{}

func (badReplicas) Rank() int                 { return 3 }
func (badReplicas) Size() int                 { return 2 }
func (badReplicas) AllReduce([]float32) error { return nil }
