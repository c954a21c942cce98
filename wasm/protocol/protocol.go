// Package protocol is the message protocol between warmstart's page (the
// go-app UI) and its training worker (a Go WebAssembly instance in a
// dedicated Web Worker). Both sides are Go; this package is the contract
// between them and imports nothing from the browser, so it is tested
// natively and as WebAssembly alike. Package wasm/jsmsg moves envelopes
// across postMessage.
//
// # Wire form
//
// Every message crosses postMessage as one plain object:
//
//	{v: 1, kind: "progress", body: "<JSON>", blobs: {name: ArrayBuffer, ...}}
//
// v is [Version]; kind names the message; body is the JSON of the message
// struct of that kind; blobs hold its large arrays (images, weights,
// confusion matrices, predictions) as raw little-endian bytes, sent in the
// transfer list so that they move instead of being copied or spelled out
// as JSON numbers. A receiver decodes with [Decode], which checks the
// version, the kind and every field before anything acts on the message.
//
// # Messages
//
// Page to worker:
//
//	hello       first message: the page's build id                 → ready, or error "version"
//	start       run the experiment with a configuration            → data*, progress*, result, or error
//	cancel      stop the run at the next batch                      → result with Cancelled set
//	classify    classify RGBA pixels with the trained classifiers   → classified, or error "image"
//	load-model  replace one phase's model with a model file         → model-loaded, or error "model"
//	restore     send the last stored results, if any                → result with Restored set, or nothing-stored
//
// Worker to page:
//
//	ready          the worker's build, Go version, stored results
//	data           dataset download and check progress
//	progress       training progress, a few times a second at most
//	result         the report, with its arrays and trained models as blobs
//	classified     class probabilities of each classifier, and the 28x28 input
//	model-loaded   a model file was accepted
//	nothing-stored restore found no stored results
//	error          what went wrong, a stable code and what to do
//
// Between training workers, for a data-parallel run (Start.Workers > 1):
// the page's worker (rank 0) starts Workers-1 helper workers of the same
// build, says hello, and sends each:
//
//	replica-start  train this run as replica Rank of Size (ranks 1..Size-1)
//
// and then, once per training step, every helper sends
//
//	reduce         its share of the step's gradients (blob "buf")
//
// to which rank 0 answers with
//
//	reduced        the sum over all replicas, added in rank order
//
// A helper ends with replica-done (its Error set when it failed). Rank 0
// alone reports progress and results to the page; cancelling the run
// cancels every replica, and a replica that fails fails the run.
//
// # Errors and cancel
//
// A failed request is answered by one error message carrying the request's
// Run or Req id and a [Code]. A run that fails or is cancelled still ends
// with a result message holding the phases that finished; a run that
// cannot start (bad configuration, dataset unavailable, another tab
// training) gets only an error. A worker that panics reports error
// "panic" and must be restarted by the page. Messages of an unknown kind
// or version are answered with error "version" and otherwise ignored.
package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
)

// Version is the protocol's version; both sides refuse other versions.
const Version = 1

// Build identifies the build of the page, the worker and the server. The
// Makefile sets it with -ldflags "-X warmstart/wasm/protocol.Build=...",
// the same value for all three, so that a page can tell it is talking to
// a worker of another build (a stale cache after a redeploy).
var Build = "dev"

// ErrVersion is wrapped when a message has another protocol version or an
// unknown kind.
var ErrVersion = errors.New("protocol: version mismatch")

// ErrInvalid is wrapped when a message's fields or blobs are missing,
// malformed or out of range.
var ErrInvalid = errors.New("protocol: invalid message")

// Kind names a message type.
type Kind string

// Message kinds; see the package documentation for directions and replies.
const (
	KindHello         Kind = "hello"
	KindStart         Kind = "start"
	KindCancel        Kind = "cancel"
	KindClassify      Kind = "classify"
	KindLoadModel     Kind = "load-model"
	KindRestore       Kind = "restore"
	KindReady         Kind = "ready"
	KindData          Kind = "data"
	KindProgress      Kind = "progress"
	KindResult        Kind = "result"
	KindClassified    Kind = "classified"
	KindModelLoaded   Kind = "model-loaded"
	KindNothingStored Kind = "nothing-stored"
	KindError         Kind = "error"
	KindReplicaStart  Kind = "replica-start"
	KindReduce        Kind = "reduce"
	KindReduced       Kind = "reduced"
	KindReplicaDone   Kind = "replica-done"
)

// Message is implemented by every message struct of this package.
type Message interface {
	Kind() Kind
	// validate checks the fields after decoding (and before encoding).
	validate() error
}

// blobber is implemented by messages with large arrays, which travel as
// blobs rather than in the JSON body.
type blobber interface {
	// blobs returns the value to marshal as the body, with the arrays
	// moved out, and the arrays by blob name.
	blobs() (body any, blobs map[string][]byte, err error)
	setBlobs(map[string][]byte) error
}

// Envelope is a message in its wire form, ready for postMessage.
type Envelope struct {
	V     int
	Kind  Kind
	Body  []byte            // JSON of the message
	Blobs map[string][]byte // sent as transferable ArrayBuffers
}

// Encode turns m into its wire form. It fails when m is not valid, so a
// bad message is caught by the sender rather than the receiver.
func Encode(m Message) (Envelope, error) {
	if err := m.validate(); err != nil {
		return Envelope{}, fmt.Errorf("encode %s: %w", m.Kind(), err)
	}
	env := Envelope{V: Version, Kind: m.Kind()}
	var body any = m
	if b, ok := m.(blobber); ok {
		var err error
		if body, env.Blobs, err = b.blobs(); err != nil {
			return Envelope{}, fmt.Errorf("encode %s: %w", m.Kind(), err)
		}
	}
	var err error
	if env.Body, err = json.Marshal(body); err != nil {
		return Envelope{}, fmt.Errorf("encode %s: %w", m.Kind(), err)
	}
	return env, nil
}

// Decode checks env and returns its message, one of this package's
// pointer types (*Hello, *Start, ...). The error wraps [ErrVersion] or
// [ErrInvalid] and says what was wrong.
func Decode(env Envelope) (Message, error) {
	if env.V != Version {
		return nil, fmt.Errorf("%w: message %q has protocol version %d, this build speaks %d (reload the page)",
			ErrVersion, env.Kind, env.V, Version)
	}
	m := newMessage(env.Kind)
	if m == nil {
		return nil, fmt.Errorf("%w: unknown message kind %q", ErrVersion, env.Kind)
	}
	if len(env.Body) > MaxBody {
		return nil, fmt.Errorf("%w: %s body is %d bytes, the limit is %d", ErrInvalid, env.Kind, len(env.Body), MaxBody)
	}
	if err := json.Unmarshal(env.Body, m); err != nil {
		return nil, fmt.Errorf("%w: %s body: %v", ErrInvalid, env.Kind, err)
	}
	if b, ok := m.(blobber); ok {
		if err := b.setBlobs(env.Blobs); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, env.Kind, err)
		}
	} else if len(env.Blobs) > 0 {
		return nil, fmt.Errorf("%w: %s carries no blobs, got %d", ErrInvalid, env.Kind, len(env.Blobs))
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, env.Kind, err)
	}
	return m, nil
}

// MaxBody bounds a message's JSON body. The largest is a result's report
// without its arrays, a few kilobytes per epoch of history.
const MaxBody = 4 << 20

func newMessage(k Kind) Message {
	switch k {
	case KindHello:
		return new(Hello)
	case KindStart:
		return new(Start)
	case KindCancel:
		return new(Cancel)
	case KindClassify:
		return new(Classify)
	case KindLoadModel:
		return new(LoadModel)
	case KindRestore:
		return new(Restore)
	case KindReady:
		return new(Ready)
	case KindData:
		return new(Data)
	case KindProgress:
		return new(Progress)
	case KindResult:
		return new(Result)
	case KindClassified:
		return new(Classified)
	case KindModelLoaded:
		return new(ModelLoaded)
	case KindNothingStored:
		return new(NothingStored)
	case KindError:
		return new(Error)
	case KindReplicaStart:
		return new(ReplicaStart)
	case KindReduce:
		return new(Reduce)
	case KindReduced:
		return new(Reduced)
	case KindReplicaDone:
		return new(ReplicaDone)
	}
	return nil
}

// GoVersion is the Go release that built this binary, reported in
// [Ready] so that a mismatch with the page's wasm_exec.js can be named.
func GoVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown"
}
