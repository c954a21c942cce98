package session

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"warmstart/nn/data"
	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// outbox records the messages a session posts, after a round trip
// through the wire form, so that every message is one the page can
// decode.
type outbox struct {
	t    *testing.T
	mu   sync.Mutex
	msgs []protocol.Message
	more chan struct{}
}

func newOutbox(t *testing.T) *outbox { return &outbox{t: t, more: make(chan struct{}, 1)} }

func (o *outbox) post(m protocol.Message) error {
	env, err := protocol.Encode(m)
	if err != nil {
		o.t.Errorf("session posted a message that does not encode: %v", err)
		return err
	}
	got, err := protocol.Decode(env)
	if err != nil {
		o.t.Errorf("session posted a message that does not decode: %v", err)
		return err
	}
	o.mu.Lock()
	o.msgs = append(o.msgs, got)
	o.mu.Unlock()
	select {
	case o.more <- struct{}{}:
	default:
	}
	return nil
}

func (o *outbox) all() []protocol.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]protocol.Message(nil), o.msgs...)
}

// wait returns the first message from index from on that ok accepts,
// and its index, failing the test after a timeout.
func (o *outbox) wait(from int, what string, ok func(protocol.Message) bool) (protocol.Message, int) {
	o.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		msgs := o.all()
		for i := from; i < len(msgs); i++ {
			if ok(msgs[i]) {
				return msgs[i], i
			}
		}
		select {
		case <-o.more:
		case <-deadline:
			o.t.Fatalf("no %s after 60 s; messages: %s", what, describe(msgs))
		}
	}
}

// end waits for the message that ends a request: a result, an error
// other than a storage warning, or another reply of kind k.
func (o *outbox) waitKind(from int, k protocol.Kind) (protocol.Message, int) {
	o.t.Helper()
	return o.wait(from, string(k), func(m protocol.Message) bool { return m.Kind() == k })
}

// runEnd waits for the end of run id: its result, or an error when it
// could not start. It returns the messages of the run.
func (o *outbox) runEnd(from int, id int64) []protocol.Message {
	o.t.Helper()
	_, i := o.wait(from, fmt.Sprintf("end of run %d", id), func(m protocol.Message) bool {
		switch m := m.(type) {
		case *protocol.Result:
			return m.Run == id
		case *protocol.Error:
			return m.Run == id && m.Code != protocol.CodeStorage && m.Code != protocol.CodeTraining
		}
		return false
	})
	return o.all()[from : i+1]
}

func describe(msgs []protocol.Message) string {
	var b bytes.Buffer
	for i, m := range msgs {
		if i > 40 {
			fmt.Fprintf(&b, " ... (%d in all)", len(msgs))
			break
		}
		switch m := m.(type) {
		case *protocol.Error:
			fmt.Fprintf(&b, " error(%s: %s)", m.Code, m.Message)
		case *protocol.Data:
			fmt.Fprintf(&b, " data(%s %s)", m.File, m.Stage)
		case *protocol.Progress:
			fmt.Fprintf(&b, " progress(%s %s)", m.Phase, m.Event)
		default:
			fmt.Fprintf(&b, " %s", m.Kind())
		}
	}
	return b.String()
}

// fetcher serves dataset files from memory and counts requests.
type fetcher struct {
	mu    sync.Mutex
	files map[string]*Response
	errs  map[string]error
	hits  map[string]int
	// block, if set, makes Fetch wait for ctx to be done.
	block bool
}

func (f *fetcher) Fetch(ctx context.Context, url string, progress func(n, total int64)) (*Response, error) {
	f.mu.Lock()
	if f.hits == nil {
		f.hits = map[string]int{}
	}
	f.hits[url]++
	r, ok := f.files[url]
	err := f.errs[url]
	block := f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Response{Status: 404, StatusText: "Not Found", Body: []byte("404 page not found\n")}, nil
	}
	if progress != nil && r.Status == 200 {
		for n := 0; n < len(r.Body); n += 64 << 10 {
			progress(int64(n), int64(len(r.Body)))
		}
		progress(int64(len(r.Body)), int64(len(r.Body)))
	}
	return r, nil
}

func (f *fetcher) count(url string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[url]
}

// locker is a Web Lock held by another tab when taken is set.
type locker struct {
	mu       sync.Mutex
	taken    bool
	released int
}

func (l *locker) TryLock(context.Context, string) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.taken {
		return nil, false, nil
	}
	l.taken = true
	return func() {
		l.mu.Lock()
		l.taken = false
		l.released++
		l.mu.Unlock()
	}, true, nil
}

func (l *locker) isTaken() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.taken
}

// harness is a session with fakes around it.
type harness struct {
	t     *testing.T
	s     *Session
	out   *outbox
	store *MemStore
	data  *MemStore
	fetch *fetcher
	lock  *locker
}

func newHarness(t *testing.T, change func(*Env)) *harness {
	h := &harness{t: t, out: newOutbox(t), store: &MemStore{}, data: &MemStore{}, fetch: &fetcher{}, lock: &locker{}}
	env := Env{Post: h.out.post, Store: h.store, Data: h.data, Fetch: h.fetch, Lock: h.lock, Cores: 2}
	if change != nil {
		change(&env)
	}
	h.s = New(env)
	return h
}

// send hands m to the session as the dispatcher does.
func (h *harness) send(m protocol.Message) {
	h.t.Helper()
	env, err := protocol.Encode(m)
	if err != nil {
		h.t.Fatal(err)
	}
	h.s.Handle(context.Background(), env)
}

// serveReal makes the fetcher serve the real t10k files under /data/.
func (h *harness) serveReal() {
	h.fetch.files = map[string]*Response{}
	for _, name := range []string{data.TestImagesFile, data.TestLabelsFile} {
		h.fetch.files["/data/"+name] = &Response{Status: 200, Body: realFile(h.t, name)}
	}
}

var realFiles sync.Map

// realFile returns a file of the real dataset, as stored on disk.
func realFile(t *testing.T, name string) []byte {
	t.Helper()
	if b, ok := realFiles.Load(name); ok {
		return b.([]byte)
	}
	dir, err := data.Locate("", data.TestImages|data.TestLabels)
	if err != nil {
		if testing.Short() {
			t.Skip("the real Fashion-MNIST t10k files are needed:", err)
		}
		t.Fatalf("the real Fashion-MNIST t10k files are needed (make data): %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	realFiles.Store(name, b)
	return b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// tinyConfig trains the baseline only, one epoch of 100 images: a run
// of well under a second.
func tinyConfig() spec.Config {
	cfg := spec.DefaultConfig()
	cfg.Phases = []spec.Phase{spec.PhaseBaseline}
	cfg.Baseline.Epochs = 1
	cfg.Baseline.BatchSize = 20
	cfg.Splits.SupTrain, cfg.Splits.SupVal, cfg.Splits.SupTest = 100, 50, 50
	return cfg
}

// clock is a fake clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func errorsOf(msgs []protocol.Message) []*protocol.Error {
	var out []*protocol.Error
	for _, m := range msgs {
		if e, ok := m.(*protocol.Error); ok {
			out = append(out, e)
		}
	}
	return out
}

var errQuota = errors.New("QuotaExceededError: the quota has been exceeded")
