// Package session is the training worker's logic, with no browser
// imports: it answers the page's messages (package wasm/protocol), runs
// the experiment of package nn in a goroutine, fetches and checks the
// dataset, keeps results and models in storage, and classifies pictures.
//
// Everything the browser provides comes in through small interfaces in
// [Env] (a [Store] of named byte blobs, a [Fetcher] for the dataset, a
// [Locker] shared by the origin's tabs, a Post function for outgoing
// messages), so the whole session is tested natively with fakes; package
// wasm/worker/jsenv implements them on Cache Storage, fetch and
// navigator.locks, and command wasm/worker wires them to postMessage.
//
// # Concurrency
//
// [Session.Deliver] queues a message and returns at once: it is called
// from a JavaScript event handler, which must never block on Go work
// (awaiting a promise there would deadlock the wasm runtime). One
// dispatcher goroutine handles queued messages in order with
// [Session.Handle]; a start spawns the run goroutine, which downloads,
// trains and reports, so the dispatcher stays free for cancel, classify
// and the rest. Every handler and the run goroutine recover panics and
// report them as protocol error "panic".
//
// # Storage
//
// Results live in the store under [KeyReport] and [ModelKey]: the report
// of the last run that finished at least one phase, and a model file per
// phase. Models are written first and the report last, so a report is
// never stored without its models. Dataset files live in a second store,
// keyed by their URL path, and only after they passed the same checks as
// the native reader's (data.DecodeFile).
package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"warmstart/nn"
	"warmstart/nn/data"
	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// Store keeps named byte blobs, such as Cache Storage entries.
type Store interface {
	// Get returns the blob stored under key; ok is false when there is none.
	Get(ctx context.Context, key string) (b []byte, ok bool, err error)
	// Put stores b under key, replacing what was there.
	Put(ctx context.Context, key string, b []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// StreamStore is a Store that can also hand out an entry as a stream.
// The dataset files are read this way when the store allows it: they are
// decompressed as they are read, so the compressed copy never needs room
// in the worker's memory.
type StreamStore interface {
	Store
	// Open returns a reader over the blob stored under key and its size;
	// ok is false when there is none.
	Open(ctx context.Context, key string) (r io.Reader, size int64, ok bool, err error)
}

// Response is an HTTP response as a [Fetcher] returns it.
type Response struct {
	Status     int    // HTTP status code
	StatusText string // e.g. "Not Found"; may be empty
	// Body is the whole body of a 200 response. For other statuses it
	// holds at most the first [ErrorBodyLimit] bytes, enough to say what
	// the server sent instead (an HTML error page, say).
	Body []byte
}

// ErrorBodyLimit bounds the body a Fetcher reads from a response that
// is not 200.
const ErrorBodyLimit = 4 << 10

// MaxDownload bounds a dataset file's download; the largest published
// file is 47 MB as raw IDX.
const MaxDownload = 128 << 20

// Fetcher downloads dataset files.
type Fetcher interface {
	// Fetch GETs url, calling progress (if not nil) with the bytes read
	// so far and the total (0 when unknown) as the body arrives. A
	// network failure is an error; an HTTP status other than 200 is not,
	// the caller checks Response.Status. It stops when ctx is done.
	Fetch(ctx context.Context, url string, progress func(n, total int64)) (*Response, error)
}

// Locker is a lock shared by every tab of the origin (the Web Locks API).
type Locker interface {
	// TryLock takes the named lock if nobody holds it, without waiting:
	// ok is false when another holder has it. release frees it and must
	// be called exactly once when ok is true.
	TryLock(ctx context.Context, name string) (release func(), ok bool, err error)
}

// LockName is the Web Lock a run holds, so that two tabs never train at
// once.
const LockName = "warmstart-train"

// TrainFunc runs an experiment; [nn.Run] is the one used.
type TrainFunc func(ctx context.Context, ds *data.Dataset, cfg spec.Config, obs spec.Observer) (*spec.Report, map[spec.Phase]*nn.Model, error)

// Env is what the session needs from its surroundings.
type Env struct {
	// Post sends a message to the page. The session calls it from one
	// goroutine at a time.
	Post func(protocol.Message) error
	// Store keeps the last results and the models (Cache Storage
	// "warmstart-store-v1" in the browser).
	Store Store
	// Data keeps checked dataset files, keyed by URL path (Cache Storage
	// "warmstart-data-v1").
	Data Store
	// Fetch downloads dataset files.
	Fetch Fetcher
	// Lock, if not nil, keeps other tabs from training at the same time.
	Lock Locker
	// Cores is navigator.hardwareConcurrency, 0 when unknown.
	Cores int
	// MemoryBytes, if not nil, returns the size of the worker's wasm
	// memory, reported with every progress message.
	MemoryBytes func() int64

	// Yield, if not nil, is called on the run goroutine between batches,
	// at most every YieldEvery. A Go WebAssembly program is one thread:
	// while training computes, JavaScript delivers no messages (cancel
	// among them) until Go blocks, which Yield does briefly.
	Yield      func()
	YieldEvery time.Duration // 0: 50 ms

	// Spawn, if not nil, starts helper workers for data-parallel runs
	// (Start.Workers > 1); without it such runs are refused.
	Spawn SpawnFunc

	// Train runs the experiment; nil means nn.Run. Tests replace it.
	// Data-parallel runs always use nn.RunWith.
	Train TrainFunc
	// Prepare turns a picture's RGBA pixels into the 28x28 input of the
	// classifiers (784 pixels in [0, 1], a light garment on black) and
	// its preview (784 gray bytes); nil means the preprocessing of
	// package nn/prep.
	Prepare func(width, height int, rgba []byte) (input []float32, preview []byte, err error)
	// Now is the clock of the throttles; nil means time.Now.
	Now func() time.Time
}

// Throttles of the messages the run sends.
const (
	// ProgressEvery is the least time between two progress messages for
	// batch events (about 4 a second); the other events always go.
	ProgressEvery = 250 * time.Millisecond
	// DataEvery is the least time between two download progress messages
	// for one file (about 5 a second); the first and the last always go.
	DataEvery = 200 * time.Millisecond
)

// Session is one worker's state: the run in progress, the models, the
// dataset already checked. Create it with [New].
type Session struct {
	env Env

	mu      sync.Mutex
	run     *activeRun                // nil when no run is in progress
	helping *helperRun                // this worker's part in another's data-parallel run
	models  map[spec.Phase]*nn.Model  // trained or loaded; missing ones are looked up in the store
	ds      map[data.Part]decodedPart // checked dataset files, by part, with their URL

	postMu sync.Mutex

	queueMu sync.Mutex
	queue   []queued
	wake    chan struct{}
}

type queued struct {
	env protocol.Envelope
	err error
}

// New returns a session; start its dispatcher with [Session.Serve]
// before calling [Session.Deliver].
func New(env Env) *Session {
	if env.Train == nil {
		env.Train = nn.Run
	}
	if env.Prepare == nil {
		env.Prepare = prepare
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.YieldEvery == 0 {
		env.YieldEvery = 50 * time.Millisecond
	}
	return &Session{
		env:    env,
		models: map[spec.Phase]*nn.Model{},
		ds:     map[data.Part]decodedPart{},
		wake:   make(chan struct{}, 1),
	}
}

// Deliver queues a message received from the page, or the error that
// reading it gave, for the dispatcher. It never blocks.
func (s *Session) Deliver(env protocol.Envelope, err error) {
	s.queueMu.Lock()
	s.queue = append(s.queue, queued{env, err})
	s.queueMu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Serve handles delivered messages in order until ctx is done.
func (s *Session) Serve(ctx context.Context) {
	for {
		s.queueMu.Lock()
		q := s.queue
		s.queue = nil
		s.queueMu.Unlock()
		for _, m := range q {
			if m.err != nil {
				s.post(&protocol.Error{Code: protocol.CodeVersion,
					Message: "the worker received something that is not a warmstart message: " + m.err.Error(),
					Hint:    "reload the page"})
				continue
			}
			s.Handle(ctx, m.env)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
	}
}

// Handle decodes one message and acts on it. Replies go through
// Env.Post; a start returns as soon as its run goroutine is started.
func (s *Session) Handle(ctx context.Context, env protocol.Envelope) {
	ids := requestIDs(env.Body)
	defer s.recoverPanic(ids.Run, ids.Req)
	m, err := protocol.Decode(env)
	if err != nil {
		s.post(decodeError(env.Kind, ids, err))
		return
	}
	switch m := m.(type) {
	case *protocol.Hello:
		s.hello(ctx, m)
	case *protocol.Start:
		s.start(ctx, m)
	case *protocol.Cancel:
		s.cancel(m)
	case *protocol.Classify:
		s.classify(ctx, m)
	case *protocol.LoadModel:
		s.loadModel(ctx, m)
	case *protocol.Restore:
		s.restore(ctx)
	case *protocol.ReplicaStart:
		s.replicaStart(ctx, m)
	case *protocol.Reduced:
		s.reduced(m)
	default:
		// Messages from the worker to the page, and reduce messages,
		// which only rank 0 receives, from its helpers directly.
		s.post(&protocol.Error{Run: ids.Run, Code: protocol.CodeInternal,
			Message: fmt.Sprintf("the training worker does not handle %q messages", env.Kind),
			Hint:    "reload the page"})
	}
}

// ids are the request ids a message body may carry, read leniently so
// that even a message that fails to decode gets an answer the page can
// match.
type ids struct {
	Run int64 `json:"run"`
	Req int64 `json:"req"`
}

func requestIDs(body []byte) ids {
	var v ids
	_ = json.Unmarshal(body, &v)
	return v
}

// decodeError answers a message that protocol.Decode refused, with the
// code that says what the page should fix.
func decodeError(k protocol.Kind, id ids, err error) *protocol.Error {
	e := &protocol.Error{Run: id.Run, Req: id.Req, Message: err.Error()}
	switch {
	case errors.Is(err, protocol.ErrVersion):
		e.Code, e.Hint = protocol.CodeVersion, "reload the page"
	case errors.Is(err, spec.ErrConfig):
		e.Code, e.Hint = protocol.CodeConfig, "change the settings"
	case k == protocol.KindStart:
		e.Code, e.Hint = protocol.CodeConfig, "change the settings"
	case k == protocol.KindClassify:
		e.Code, e.Hint = protocol.CodeImage, "try another picture"
	case k == protocol.KindLoadModel:
		e.Code, e.Hint = protocol.CodeModel, "choose a model file saved by warmstart"
	default:
		e.Code, e.Hint = protocol.CodeInternal, "reload the page"
	}
	return e
}

func (s *Session) hello(ctx context.Context, m *protocol.Hello) {
	if m.Build != protocol.Build {
		s.post(&protocol.Error{Code: protocol.CodeVersion,
			Message: fmt.Sprintf("page build %s, worker build %s: reload the page", m.Build, protocol.Build),
			Hint:    "reload the page; if that does not help, clear the site's data"})
		return
	}
	_, stored, _ := s.storedReport(ctx)
	s.post(&protocol.Ready{Build: protocol.Build, GoVersion: protocol.GoVersion(), Cores: max(s.env.Cores, 0), Stored: stored})
}

// post sends m. When that fails (a message that does not encode, a page
// gone), it tries to say so with an error message instead.
func (s *Session) post(m protocol.Message) {
	s.postMu.Lock()
	defer s.postMu.Unlock()
	err := s.env.Post(m)
	if err == nil {
		return
	}
	if _, isErr := m.(*protocol.Error); isErr {
		return
	}
	_ = s.env.Post(&protocol.Error{Code: protocol.CodeInternal,
		Message: fmt.Sprintf("the worker could not send its %s message: %v", m.Kind(), err),
		Hint:    "reload the page"})
}

// recoverPanic, deferred, turns a panic into error "panic" with the
// panic value and where it happened.
func (s *Session) recoverPanic(run, req int64) {
	v := recover()
	if v == nil {
		return
	}
	s.post(&protocol.Error{Run: run, Req: req, Code: protocol.CodePanic,
		Message: fmt.Sprintf("the training worker crashed: %v (%s)", v, shortStack(3, 6)),
		Hint:    "reload the page"})
}

// shortStack returns up to n frames of the panicking goroutine, as
// "func file:line" joined by " < ", leaving out the runtime's own frames
// and skip frames of the recovery.
func shortStack(skip, n int) string {
	pc := make([]uintptr, 32)
	pc = pc[:runtime.Callers(skip, pc)]
	frames := runtime.CallersFrames(pc)
	var out []string
	for len(out) < n {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") && !strings.HasSuffix(f.Function, ".recoverPanic") {
			file := f.File
			if i := strings.LastIndex(file, "/"); i >= 0 {
				file = file[i+1:]
			}
			fn := f.Function
			if i := strings.LastIndex(fn, "/"); i >= 0 {
				fn = fn[i+1:]
			}
			out = append(out, fmt.Sprintf("%s %s:%d", fn, file, f.Line))
		}
		if !more {
			break
		}
	}
	if len(out) == 0 {
		return "no stack"
	}
	return "at " + strings.Join(out, " < ")
}
