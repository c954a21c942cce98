package session

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"warmstart/nn"
	"warmstart/nn/data"
	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// peer is a helper worker in the same process: a second session whose
// messages go back to rank 0 through the wire form.
type peer struct {
	s      *Session
	cancel context.CancelFunc
	closed chan struct{}
	once   sync.Once
}

func (p *peer) Post(m protocol.Message) error {
	env, err := protocol.Encode(m)
	if err != nil {
		return err
	}
	p.s.Deliver(env, nil)
	return nil
}

func (p *peer) Close() { p.once.Do(func() { p.cancel(); close(p.closed) }) }

// spawner starts in-process helpers that share rank 0's dataset store
// and fetcher, as workers of one origin share Cache Storage. fail, if
// set, makes helper rank fail at once.
func spawner(h *harness, fail int) (SpawnFunc, *[]*peer) {
	var peers []*peer
	return func(rank int, onMessage func(protocol.Envelope, error)) (Peer, error) {
		ctx, cancel := context.WithCancel(context.Background())
		env := Env{Data: h.data, Store: &MemStore{}, Fetch: h.fetch, Cores: 2,
			Post: func(m protocol.Message) error {
				env, err := protocol.Encode(m)
				if err == nil {
					go onMessage(env, nil)
				}
				return err
			}}
		if rank == fail {
			env.Fetch = &fetcher{} // 404 for everything
			env.Data = &MemStore{}
		}
		p := &peer{s: New(env), cancel: cancel, closed: make(chan struct{})}
		go p.s.Serve(ctx)
		peers = append(peers, p)
		return p, nil
	}, &peers
}

// TestDataParallelRun trains on three workers and checks the result
// against nn's in-memory replicas: the same model, bit for bit, with
// progress from rank 0 only and every helper stopped at the end.
func TestDataParallelRun(t *testing.T) {
	h := newHarness(t, nil)
	h.serveReal()
	spawn, peers := spawner(h, -1)
	h.s.env.Spawn = spawn
	cfg := tinyConfig()
	h.send(&protocol.Start{Run: 4, Config: cfg, DataURL: "/data/", Workers: 3})
	msgs := h.out.runEnd(0, 4)
	res, ok := msgs[len(msgs)-1].(*protocol.Result)
	if !ok || res.Cancelled || res.Report.Interrupted {
		t.Fatalf("run ended with %s", describe(msgs))
	}
	if len(*peers) != 2 {
		t.Fatalf("%d helpers started, want 2", len(*peers))
	}
	for i, p := range *peers {
		select {
		case <-p.closed:
		default:
			t.Errorf("helper %d still running after the run", i+1)
		}
	}

	// The same run with nn's in-memory replicas.
	ds := &data.Dataset{}
	var err error
	if ds.Test, err = data.DecodeImages(data.TestImagesFile, bytes.NewReader(realFile(t, data.TestImagesFile))); err != nil {
		t.Fatal(err)
	}
	if ds.TestLabels, err = data.DecodeLabels(data.TestLabelsFile, bytes.NewReader(realFile(t, data.TestLabelsFile))); err != nil {
		t.Fatal(err)
	}
	want := make([]map[spec.Phase]*nn.Model, 3)
	var wg sync.WaitGroup
	for r, rs := range nn.LocalReplicas(3) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, want[r], _ = nn.RunWith(context.Background(), ds, cfg, nil, nn.RunOptions{Replicas: rs})
		}()
	}
	wg.Wait()
	got, _, err := nn.ReadModel(bytes.NewReader(res.Models[spec.PhaseBaseline]), nn.ArchCNN)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Params, want[0][spec.PhaseBaseline].Params) {
		t.Error("the three workers' model differs from nn.LocalReplicas(3)'s")
	}
}

// TestDataParallelHelperFails checks that a helper that cannot get the
// dataset fails the run with a message naming it, instead of a hang.
func TestDataParallelHelperFails(t *testing.T) {
	h := newHarness(t, nil)
	h.serveReal()
	spawn, _ := spawner(h, 2)
	h.s.env.Spawn = spawn
	h.send(&protocol.Start{Run: 5, Config: tinyConfig(), DataURL: "/data/", Workers: 3})
	msgs := h.out.runEnd(0, 5)
	errs := errorsOf(msgs)
	if len(errs) == 0 || !strings.Contains(errs[0].Message, "helper worker 2") {
		t.Fatalf("want an error naming helper worker 2; got %s", describe(msgs))
	}
	if h.lock.isTaken() {
		t.Error("the training lock is still held")
	}
}

// TestDataParallelWithoutSpawn checks the refusal when the browser
// cannot start helper workers.
func TestDataParallelWithoutSpawn(t *testing.T) {
	h := newHarness(t, nil)
	h.serveReal()
	h.send(&protocol.Start{Run: 6, Config: tinyConfig(), DataURL: "/data/", Workers: 2})
	msgs := h.out.runEnd(0, 6)
	errs := errorsOf(msgs)
	if len(msgs) != 1 || len(errs) != 1 || errs[0].Code != protocol.CodeConfig || !strings.Contains(errs[0].Message, "helper workers") {
		t.Fatalf("got %s, want one config error about helper workers", describe(msgs))
	}
}
