package protocol

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"warmstart/nn/spec"
)

// sampleReport is a small but complete report: two classifiers, a DAE
// with a sample grid.
func sampleReport() *spec.Report {
	cfg := spec.DefaultConfig()
	cr := func(p spec.Phase, seed int) *spec.ClassifierResult {
		c := &spec.ClassifierResult{Phase: p, Test: spec.Eval{Accuracy: 0.5, N: 20, Loss: 1.25}}
		for i := range 20 {
			t, pred := i%spec.NumClasses, (i*seed)%spec.NumClasses
			c.Confusion[t][pred]++
			c.Predictions = append(c.Predictions, uint8(pred))
		}
		c.History = []spec.EpochStats{{Epoch: 1, TrainLoss: 2, ValAcc: 0.4}}
		return c
	}
	g := spec.SampleGrid{N: 2, Rows: 28, Cols: 28}
	for i := range 2 * 28 * 28 {
		g.Clean = append(g.Clean, float32(i%255)/255)
		g.Noisy = append(g.Noisy, float32(i%7)/7)
		g.Denoised = append(g.Denoised, float32(i%3)/3)
	}
	return &spec.Report{
		Config:      cfg,
		Baseline:    cr(spec.PhaseBaseline, 3),
		Pretrained:  cr(spec.PhasePretrained, 7),
		DAE:         &spec.DAEResult{ValMSE: 0.01, Grid: g},
		Comparisons: []spec.Comparison{{APhase: spec.PhaseBaseline, BPhase: spec.PhasePretrained, N: 20, PValue: 0.5}},
	}
}

func roundTrip(t *testing.T, m Message) Message {
	t.Helper()
	env, err := Encode(m)
	if err != nil {
		t.Fatalf("Encode(%T): %v", m, err)
	}
	if env.V != Version || env.Kind != m.Kind() {
		t.Fatalf("envelope v%d %q, want v%d %q", env.V, env.Kind, Version, m.Kind())
	}
	got, err := Decode(env)
	if err != nil {
		t.Fatalf("Decode(%T): %v", m, err)
	}
	return got
}

func TestRoundTrip(t *testing.T) {
	rgba := make([]byte, 3*2*4)
	for i := range rgba {
		rgba[i] = byte(i)
	}
	preview := make([]byte, PreviewSide*PreviewSide)
	preview[5] = 200
	msgs := []Message{
		&Hello{Build: "abc"},
		&Ready{Build: "abc", GoVersion: "go1.26.8", Cores: 2, Stored: true},
		&Start{Run: 7, Config: spec.DefaultConfig(), DataURL: "/data/"},
		&Cancel{Run: 7},
		&Classify{Req: 3, Width: 3, Height: 2, Pixels: rgba},
		&Classified{Req: 3, Preview: preview, Predictions: []Prediction{{Phase: spec.PhaseBaseline, Class: 1, Probs: [10]float64{0.1, 0.9}}}},
		&LoadModel{Phase: spec.PhaseDAE, File: []byte("model bytes")},
		&ModelLoaded{Phase: spec.PhaseDAE, Params: 1234},
		&Restore{},
		&NothingStored{},
		&Data{Run: 7, File: "t10k-images-idx3-ubyte.gz", Stage: DataDownload, Bytes: 10, Total: 100},
		&Progress{Run: 7, Phase: spec.PhaseDAE, Event: EventEpoch, Epoch: 1, Epochs: 2, Batch: 3, Batches: 3, Stats: &spec.EpochStats{Epoch: 1}, MemoryBytes: 64 << 20},
		&Error{Run: 7, Code: CodeData, Message: "t10k-images-idx3-ubyte.gz is an HTML page", Hint: "check the server"},
		&Result{Run: 7, Report: sampleReport(), Cancelled: true, Models: map[spec.Phase][]byte{spec.PhaseBaseline: []byte("m1")}},
	}
	seen := map[Kind]bool{}
	for _, m := range msgs {
		got := roundTrip(t, m)
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%s: round trip changed the message:\n got %+v\nwant %+v", m.Kind(), got, m)
		}
		seen[m.Kind()] = true
	}
	for _, k := range []Kind{KindHello, KindStart, KindCancel, KindClassify, KindLoadModel, KindRestore, KindReady,
		KindData, KindProgress, KindResult, KindClassified, KindModelLoaded, KindNothingStored, KindError} {
		if !seen[k] || newMessage(k) == nil {
			t.Errorf("kind %q is not covered by the round-trip test or not decodable", k)
		}
	}
}

// TestResultBlobs checks that a result's arrays travel as blobs, not JSON
// numbers, and that encoding leaves the sender's report untouched.
func TestResultBlobs(t *testing.T) {
	rep := sampleReport()
	before := sampleReport()
	env, err := Encode(&Result{Run: 1, Report: rep})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep, before) {
		t.Fatal("Encode modified the caller's report")
	}
	for _, name := range []string{"confusion/baseline", "predictions/pretrained", "grid/clean", "grid/noisy", "grid/denoised"} {
		if _, ok := env.Blobs[name]; !ok {
			t.Errorf("blob %q missing; have %d blobs", name, len(env.Blobs))
		}
	}
	if got := len(env.Blobs["grid/clean"]); got != 4*2*28*28 {
		t.Errorf("grid/clean: %d bytes, want %d", got, 4*2*28*28)
	}
	if len(env.Body) > 8000 {
		t.Errorf("body is %d bytes: arrays leaked into the JSON", len(env.Body))
	}
	if strings.Contains(string(env.Body), "0.003921") { // 1/255, a grid pixel
		t.Error("grid pixels leaked into the JSON body")
	}
}

func TestDecodeRejects(t *testing.T) {
	good := func(m Message) Envelope {
		env, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	result := good(&Result{Run: 1, Report: sampleReport()})
	cut := func(env Envelope, name string, n int) Envelope {
		b := map[string][]byte{}
		for k, v := range env.Blobs {
			b[k] = v
		}
		b[name] = b[name][:n]
		env.Blobs = b
		return env
	}
	drop := func(env Envelope, name string) Envelope {
		b := map[string][]byte{}
		for k, v := range env.Blobs {
			if k != name {
				b[k] = v
			}
		}
		env.Blobs = b
		return env
	}
	extra := result
	extra.Blobs = map[string][]byte{"surprise": {1}}
	for k, v := range result.Blobs {
		extra.Blobs[k] = v
	}
	badConf := cut(result, "confusion/baseline", 399)
	tests := []struct {
		name string
		env  Envelope
		want error
		msg  string
	}{
		{"old version", Envelope{V: 0, Kind: KindHello, Body: []byte(`{"build":"a"}`)}, ErrVersion, "protocol version 0"},
		{"unknown kind", Envelope{V: Version, Kind: "train-faster", Body: []byte(`{}`)}, ErrVersion, "unknown message kind"},
		{"not JSON", Envelope{V: Version, Kind: KindHello, Body: []byte(`{build`)}, ErrInvalid, "hello body"},
		{"empty build", Envelope{V: Version, Kind: KindHello, Body: []byte(`{}`)}, ErrInvalid, "build is empty"},
		{"blobs on hello", Envelope{V: Version, Kind: KindHello, Body: []byte(`{"build":"a"}`), Blobs: map[string][]byte{"x": nil}}, ErrInvalid, "carries no blobs"},
		{"bad config", Envelope{V: Version, Kind: KindStart, Body: []byte(`{"run":1,"config":{"phases":["dae"]},"data_url":"/data/"}`)}, ErrInvalid, "invalid config"},
		{"zero run", Envelope{V: Version, Kind: KindCancel, Body: []byte(`{"run":0}`)}, ErrInvalid, "run id 0"},
		{"rgba too short", func() Envelope {
			e := good(&Classify{Req: 1, Width: 2, Height: 2, Pixels: make([]byte, 16)})
			e.Blobs = map[string][]byte{"rgba": make([]byte, 15)}
			return e
		}(), ErrInvalid, "needs 16"},
		{"huge image", Envelope{V: Version, Kind: KindClassify, Body: []byte(`{"req":1,"width":5000,"height":1}`), Blobs: map[string][]byte{"rgba": nil}}, ErrInvalid, "5000x1"},
		{"no rgba", Envelope{V: Version, Kind: KindClassify, Body: []byte(`{"req":1,"width":1,"height":1}`)}, ErrInvalid, `"rgba" is missing`},
		{"truncated confusion", badConf, ErrInvalid, "confusion/baseline"},
		{"missing grid", drop(result, "grid/noisy"), ErrInvalid, "grid/noisy"},
		{"short predictions", cut(result, "predictions/baseline", 19), ErrInvalid, "19 predictions"},
		{"unexpected blob", extra, ErrInvalid, "unexpected"},
		{"unknown phase", Envelope{V: Version, Kind: KindModelLoaded, Body: []byte(`{"phase":"gan"}`)}, ErrInvalid, `unknown phase "gan"`},
		{"data url elsewhere", Envelope{V: Version, Kind: KindStart, Body: []byte(`{"run":1,"config":` + configJSON(t) + `,"data_url":"https://evil.example/"}`)}, ErrInvalid, "same-origin"},
		{"protocol-relative url", Envelope{V: Version, Kind: KindStart, Body: []byte(`{"run":1,"config":` + configJSON(t) + `,"data_url":"//evil.example/"}`)}, ErrInvalid, "same-origin"},
		{"error without message", Envelope{V: Version, Kind: KindError, Body: []byte(`{"code":"data"}`)}, ErrInvalid, "needs a code"},
		{"stats without epoch", Envelope{V: Version, Kind: KindProgress, Body: []byte(`{"phase":"dae","event":"batch","epoch":1,"epochs":1,"batch":1,"batches":1,"stats":{}}`)}, ErrInvalid, "stats"},
		{"negative memory", Envelope{V: Version, Kind: KindProgress, Body: []byte(`{"phase":"dae","event":"batch","epoch":1,"epochs":1,"batch":1,"batches":1,"memory_bytes":-1}`)}, ErrInvalid, "negative"},
		{"huge body", Envelope{V: Version, Kind: KindHello, Body: make([]byte, MaxBody+1)}, ErrInvalid, "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.env)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Decode: got %v, %v; want an error wrapping %v that mentions %q", m, err, tc.want, tc.msg)
			}
		})
	}
}

func configJSON(t *testing.T) string {
	env, err := Encode(&Start{Run: 1, Config: spec.DefaultConfig(), DataURL: "/data/"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(env.Body)
	i, j := strings.Index(s, `"config":`)+len(`"config":`), strings.LastIndex(s, `,"data_url"`)
	return s[i:j]
}

func TestEncodeValidates(t *testing.T) {
	if _, err := Encode(&Classify{Req: 1, Width: 2, Height: 2}); err == nil {
		t.Error("Encode accepted a Classify without pixels")
	}
	if _, err := Encode(&Result{Run: 1}); err == nil {
		t.Error("Encode accepted a Result without a report")
	}
}

func TestProgressFrom(t *testing.T) {
	ev := spec.Event{Kind: spec.EventBatch, Phase: spec.PhaseDAE, Epoch: 2, Epochs: 4, Batch: 5, Batches: 10,
		Elapsed: 30 * time.Second, Loss: 0.02, ImagesPerSec: 500}
	p := ProgressFrom(9, ev)
	// 15 of 40 batches in 30 s: 25 left at 2 s each.
	if p.Event != EventBatch || p.Run != 9 || math.Abs(p.ETASec-50) > 1e-9 || p.ElapsedSec != 30 {
		t.Errorf("ProgressFrom: %+v, want event batch, run 9, ETA 50 s, elapsed 30 s", p)
	}
	if err := p.validate(); err != nil {
		t.Error(err)
	}
	start := ProgressFrom(9, spec.Event{Kind: spec.EventPhaseStart, Phase: spec.PhaseDAE, Epochs: 4, Batches: 10})
	if start.ETASec != -1 || start.Event != EventPhaseStart {
		t.Errorf("phase start: %+v, want ETA unknown (-1)", start)
	}
	eval := ProgressFrom(9, spec.Event{Kind: spec.EventEvalBatch, Phase: spec.PhaseDAE, Epochs: 4, Evaluated: 512, ToEvaluate: 3000})
	if eval.Event != EventEvalBatch || eval.Evaluated != 512 || eval.ToEvaluate != 3000 || eval.validate() != nil {
		t.Errorf("eval batch: %+v (%v)", eval, eval.validate())
	}
	end := ProgressFrom(9, spec.Event{Kind: spec.EventPhaseEnd, Phase: spec.PhaseDAE, Epoch: 4, Epochs: 4})
	if end.ETASec != 0 || end.Event != EventPhaseEnd {
		t.Errorf("phase end: %+v, want ETA 0", end)
	}
}
