package replica

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"warmstart/nn"
	"warmstart/nn/data"
	"warmstart/wasm/protocol"
)

// tinyDataset is a synthetic dataset: each class a bright bar at its own
// row, plus noise, so the models learn something in a few steps.
func tinyDataset() (*data.Dataset, nn.Config) {
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func(n int) (*data.Images, []uint8) {
		im := &data.Images{N: n, Rows: 28, Cols: 28, Pix: make([]uint8, n*784)}
		labels := make([]uint8, n)
		for i := range n {
			c := i % 10
			labels[i] = uint8(c)
			for p := range 784 {
				v := rng.IntN(60)
				if p/28 == 2*c+4 {
					v += 180
				}
				im.Pix[i*784+p] = uint8(v)
			}
		}
		return im, labels
	}
	train, trainLabels := mk(300)
	test, testLabels := mk(300)
	cfg := nn.DefaultConfig()
	cfg.Splits = data.SplitConfig{UnsupTrain: 250, UnsupVal: 50, SupTrain: 100, SupVal: 100, SupTest: 100, Stratified: true}
	for _, tr := range []*nn.Train{&cfg.Baseline, &cfg.DAE, &cfg.Pretrained, &cfg.FineTune} {
		tr.Epochs, tr.BatchSize = 1, 45 // uneven shares and a partial last batch
	}
	cfg.GridImages = 2
	cfg.Phases = []nn.Phase{nn.PhaseBaseline, nn.PhaseDAE}
	return &data.Dataset{Train: train, TrainLabels: trainLabels, Test: test, TestLabels: testLabels}, cfg
}

// wire connects a coordinator and size-1 helpers through goroutines, with
// every message encoded and decoded as it would cross postMessage.
func wire(t *testing.T, ctx context.Context, run int64, size int) (*Coordinator, []*Helper) {
	t.Helper()
	transit := func(m protocol.Message) protocol.Message {
		env, err := protocol.Encode(m)
		if err != nil {
			t.Error(err)
			return nil
		}
		got, err := protocol.Decode(env)
		if err != nil {
			t.Error(err)
		}
		return got
	}
	helpers := make([]*Helper, size)
	var c *Coordinator
	c = NewCoordinator(ctx, run, size, func(rank int, m protocol.Message) error {
		go helpers[rank].Deliver(transit(m).(*protocol.Reduced))
		return nil
	})
	for r := 1; r < size; r++ {
		helpers[r] = NewHelper(ctx, run, r, size, func(m protocol.Message) error {
			go c.Deliver(r, transit(m).(*protocol.Reduce))
			return nil
		})
	}
	return c, helpers
}

// TestWorkersMatchLocal runs three replicas over the message protocol and
// checks them against nn's in-memory replicas: the same weights, bit for
// bit, on every rank.
func TestWorkersMatchLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("trains six replicas; runs without -short")
	}
	ds, cfg := tinyDataset()
	want := make([]map[nn.Phase]*nn.Model, 3)
	var wg sync.WaitGroup
	for r, rs := range nn.LocalReplicas(3) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if _, want[r], err = nn.RunWith(context.Background(), ds, cfg, nil, nn.RunOptions{Replicas: rs}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	c, helpers := wire(t, context.Background(), 5, 3)
	got := make([]map[nn.Phase]*nn.Model, 3)
	for r := range 3 {
		var rs nn.Replicas = c
		if r > 0 {
			rs = helpers[r]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if _, got[r], err = nn.RunWith(context.Background(), ds, cfg, nil, nn.RunOptions{Replicas: rs}); err != nil {
				t.Errorf("rank %d: %v", r, err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for r := range 3 {
		for p, m := range want[0] {
			if !reflect.DeepEqual(got[r][p].Params, m.Params) {
				t.Errorf("rank %d: %s weights differ from nn.LocalReplicas'", r, p)
			}
		}
	}
}

// TestFailureStopsEveryone checks that a helper that fails, or a
// coordinator that is cancelled, ends the others' waits with an error.
func TestFailureStopsEveryone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, helpers := wire(t, ctx, 5, 3)
	errc := make(chan error, 2)
	go func() { errc <- c.AllReduce(make([]float32, 4)) }()
	go func() { errc <- helpers[1].AllReduce(make([]float32, 4)) }()
	time.Sleep(10 * time.Millisecond) // rank 2 never comes
	c.Fail(errors.New("worker 2 crashed"))
	if err := <-errc; !errors.Is(err, ErrGone) {
		t.Errorf("coordinator: got %v, want ErrGone", err)
	}
	helpers[1].Fail(errors.New("rank 0 stopped"))
	if err := <-errc; !errors.Is(err, ErrGone) {
		t.Errorf("helper: got %v, want ErrGone", err)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	c2, _ := wire(t, ctx2, 6, 2)
	go func() { errc <- c2.AllReduce(make([]float32, 4)) }()
	cancel2()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled coordinator: got %v", err)
	}

	c3, _ := wire(t, context.Background(), 7, 2)
	c3.Deliver(1, &protocol.Reduce{Run: 99, Step: 1, Buf: []float32{1}})
	if err := c3.AllReduce([]float32{0}); !errors.Is(err, ErrGone) {
		t.Errorf("share of another run: got %v, want ErrGone", err)
	}
}
