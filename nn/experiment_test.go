package nn

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"

	"warmstart/nn/data"
)

// TestEncoderTransfer is case C03: the pretrained CNN starts from the
// DAE's encoder, bit for bit, keeps it frozen through phase 3, and only
// fine-tuning changes it.
func TestEncoderTransfer(t *testing.T) {
	ds, cfg := synthDataset(t)
	before := map[Phase][32]byte{}
	h := hooks{phaseStart: func(p Phase, m *Model) { before[p] = hashParams(m.Encoder()) }}
	rep, models, err := run(context.Background(), ds, cfg, nil, RunOptions{}, h)
	if err != nil {
		t.Fatal(err)
	}
	dae := hashParams(models[PhaseDAE].Encoder())
	if before[PhasePretrained] != dae {
		t.Error("the pretrained CNN did not start from the DAE's encoder")
	}
	if got := hashParams(models[PhasePretrained].Encoder()); got != dae {
		t.Error("the frozen encoder changed during phase 3")
	}
	if before[PhaseBaseline] == dae {
		t.Error("the DAE's encoder equals the baseline's initial one")
	}
	fresh, _ := NewModel(ArchDAE, Stream(cfg.Seed, streamInitDAE))
	if hashParams(fresh.Encoder()) == dae {
		t.Error("the DAE's encoder is still its initialisation")
	}
	if hashParams(models[PhaseFineTune].Encoder()) == dae {
		t.Error("fine-tuning did not change the encoder")
	}
	if !rep.EncoderPretrained {
		t.Error("report says the encoder was not pretrained")
	}
	if len(rep.Comparisons) != 2 {
		t.Fatalf("got %d comparisons, want 2 (pretrained and fine-tuned against the baseline)", len(rep.Comparisons))
	}
	for i, other := range []*ClassifierResult{rep.Pretrained, rep.FineTuned} {
		c := rep.Comparisons[i]
		want := other.Test.Accuracy - rep.Baseline.Test.Accuracy
		if c.BPhase != other.Phase || c.N != other.Test.N || math.Abs(c.AccDiff-want) > 1e-12 {
			t.Errorf("comparison %d: got %+v, want %s with accuracy difference %v", i, c, other.Phase, want)
		}
	}

	// The code z of three images is bit-identical through both encoders.
	idx := []int{0, 1, 2}
	zDAE := codeOf(t, models[PhaseDAE], ds.Test, idx)
	zCNN := codeOf(t, models[PhasePretrained], ds.Test, idx)
	if !reflect.DeepEqual(zDAE, zCNN) {
		t.Error("the two encoders give different codes")
	}

	// A saved and reloaded model keeps the encoder's hash.
	var buf bytes.Buffer
	if err := WriteModel(&buf, models[PhasePretrained], nil); err != nil {
		t.Fatal(err)
	}
	back, _, err := ReadModel(&buf, ArchCNN)
	if err != nil {
		t.Fatal(err)
	}
	if hashParams(back.Encoder()) != dae {
		t.Error("the reloaded encoder differs")
	}
}

// codeOf returns the encoder output z of the images idx under m.
func codeOf(t *testing.T, m *Model, im *data.Images, idx []int) []float32 {
	t.Helper()
	n := newNet(m, nil, 1e-3)
	defer n.close()
	gr, err := n.graph(len(idx), false)
	if err != nil {
		t.Fatal(err)
	}
	im.Batch32(gr.xT.Data().([]float32), idx)
	if err := gr.run(); err != nil {
		t.Fatal(err)
	}
	defer gr.reset()
	return append([]float32(nil), gr.layers[1].Value().Data().([]float32)...)
}

// TestNotPretrainedFlag: a DAE of 0 epochs leaves a random encoder, and
// the report must not call it pretrained (C03).
func TestNotPretrainedFlag(t *testing.T) {
	ds, cfg := synthDataset(t)
	cfg.Phases = []Phase{PhaseDAE, PhasePretrained}
	cfg.DAE.Epochs = 0
	rep, _, err := Run(context.Background(), ds, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.EncoderPretrained {
		t.Error("EncoderPretrained is true after 0 DAE epochs")
	}
}

// TestDAEReadsNoLabels is case C05: the DAE phase runs on a dataset
// without any labels.
func TestDAEReadsNoLabels(t *testing.T) {
	ds, cfg := synthDataset(t)
	ds = &data.Dataset{Train: ds.Train}
	cfg.Phases = []Phase{PhaseDAE}
	if got := NeededParts(&cfg); got != data.TrainImages {
		t.Errorf("phase dae needs parts %v, want only the train images", got)
	}
	if _, _, err := Run(context.Background(), ds, cfg, nil); err != nil {
		t.Fatal(err)
	}
}

// TestEvaluationIsPure checks that an evaluation pass changes neither the
// weights nor the gradient of the next training step.
func TestEvaluationIsPure(t *testing.T) {
	ds, _ := synthDataset(t)
	m, _ := NewModel(ArchCNN, rand.New(rand.NewPCG(9, 9)))
	all := []bool{true, true, true, true, true, true, true, true}
	a, b := newNet(m.Clone(), all, 1e-3), newNet(m.Clone(), all, 1e-3)
	defer a.close()
	defer b.close()
	batch := []int{0, 1, 2, 3, 4, 5, 6, 7}
	val := []int{20, 21, 22, 23, 24}

	step := classifierStep(ds.Test, ds.TestLabels)
	for i := 0; i < 2; i++ { // a few steps, so that Adam's state is not trivial
		step(a, batch)
		step(b, batch)
	}
	w := hashParams(a.model.Params)
	if _, _, err := evalClassifier(a, ds.Test, ds.TestLabels, val, 4, nil); err != nil {
		t.Fatal(err)
	}
	if hashParams(a.model.Params) != w {
		t.Fatal("evaluation changed the weights")
	}
	var ga, gb [][]float32
	a.gradHook = func(_ int, g []float32) { ga = append(ga, append([]float32(nil), g...)) }
	b.gradHook = func(_ int, g []float32) { gb = append(gb, append([]float32(nil), g...)) }
	la, _, _ := step(a, batch)
	lb, _, _ := step(b, batch)
	if la != lb || !reflect.DeepEqual(ga, gb) {
		t.Error("an evaluation pass changed the next step's loss or gradient")
	}
	if hashParams(a.model.Params) != hashParams(b.model.Params) {
		t.Error("an evaluation pass changed the next step's update")
	}
}

// TestDeterminism checks that the same seed gives bit-identical results
// whatever the number of threads, and another seed different ones.
func TestDeterminism(t *testing.T) {
	ds, cfg := synthDataset(t)
	runOnce := func(seed uint64, procs int) (*Report, map[Phase]*Model) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		c := cfg
		c.Seed = seed
		rep, models, err := Run(context.Background(), ds, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rep, models
	}
	r1, m1 := runOnce(1, 1)
	r2, m2 := runOnce(1, 4)
	r3, m3 := runOnce(2, 4)
	for _, p := range AllPhases {
		if hashParams(m1[p].Params) != hashParams(m2[p].Params) {
			t.Errorf("%s: weights differ between 1 and 4 threads", p)
		}
		if hashParams(m1[p].Params) == hashParams(m3[p].Params) {
			t.Errorf("%s: seeds 1 and 2 gave the same weights", p)
		}
	}
	strip := func(r *Report) []any {
		return []any{losses(r.Baseline.History), losses(r.DAE.History), losses(r.FineTuned.History),
			r.Baseline.Test, r.Pretrained.Confusion, r.DAE.ValMSE, r.DAE.Grid}
	}
	if !reflect.DeepEqual(strip(r1), strip(r2)) {
		t.Error("reports differ between 1 and 4 threads")
	}
	if reflect.DeepEqual(strip(r1), strip(r3)) {
		t.Error("seeds 1 and 2 gave the same report")
	}
}

func losses(h []EpochStats) []float64 {
	var out []float64
	for _, e := range h {
		out = append(out, e.TrainLoss, e.ValLoss, e.TrainAcc, e.ValAcc)
	}
	return out
}

// TestCancel checks that a cancelled run stops, says so, and keeps the
// phases that finished.
func TestCancel(t *testing.T) {
	ds, cfg := synthDataset(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := func(e Event) {
		if e.Phase == PhaseDAE && e.Kind == EventBatch {
			cancel()
		}
	}
	rep, models, err := Run(ctx, ds, cfg, obs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if !rep.Interrupted || rep.Baseline == nil || rep.DAE != nil || rep.Pretrained != nil {
		t.Errorf("interrupted %v, baseline %v, dae %v, pretrained %v: want only the baseline kept",
			rep.Interrupted, rep.Baseline != nil, rep.DAE != nil, rep.Pretrained != nil)
	}
	if models[PhaseBaseline] == nil {
		t.Error("the baseline model was not kept")
	}
}

// TestConfigErrors checks that bad settings are refused before anything runs.
func TestConfigErrors(t *testing.T) {
	ds, _ := synthDataset(t)
	for name, edit := range map[string]func(*Config){
		"no phases":         func(c *Config) { c.Phases = nil },
		"pretrained no dae": func(c *Config) { c.Phases = []Phase{PhasePretrained} },
		"negative epochs":   func(c *Config) { c.DAE.Epochs = -1 },
		"zero batch":        func(c *Config) { c.Baseline.BatchSize = 0 },
		"NaN lr":            func(c *Config) { c.FineTune.LearningRate = math.NaN() },
		"bad noise":         func(c *Config) { c.Noise = -0.1 },
	} {
		cfg := DefaultConfig()
		edit(&cfg)
		if _, _, err := Run(context.Background(), ds, cfg, nil); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", name, err)
		}
	}
	cfg := DefaultConfig()
	if _, _, err := Run(context.Background(), &data.Dataset{}, cfg, nil); !errors.Is(err, ErrData) {
		t.Errorf("empty dataset: got %v, want ErrData", err)
	}
}

// TestCancelDuringEvaluation checks that the final evaluation reports its
// progress and stops at the next batch when the run is cancelled, rather
// than running through every split first.
func TestCancelDuringEvaluation(t *testing.T) {
	ds, cfg := synthDataset(t)
	cfg.Phases = []Phase{PhaseDAE}
	cfg.DAE.BatchSize = 16
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var final bool
	var ticks, afterCancel int
	last := 0
	obs := func(ev Event) {
		switch ev.Kind {
		case EventEvaluate:
			final = true
		case EventEvalBatch:
			ticks++
			if ev.Evaluated <= 0 || ev.Evaluated >= ev.ToEvaluate || (ev.Evaluated <= last && ev.Evaluated != 16) {
				t.Errorf("eval progress %d of %d after %d", ev.Evaluated, ev.ToEvaluate, last)
			}
			last = ev.Evaluated
			if final {
				if ctx.Err() != nil {
					afterCancel++
				}
				cancel()
			}
		}
	}
	rep, _, err := RunWith(ctx, ds, cfg, obs, RunOptions{})
	if !errors.Is(err, context.Canceled) || !rep.Interrupted || rep.DAE != nil {
		t.Fatalf("got %v, interrupted %v, DAE result %v; want a cancelled run without a DAE result", err, rep.Interrupted, rep.DAE != nil)
	}
	if !final || ticks < 2 || afterCancel != 0 {
		t.Errorf("final evaluation reached %v, %d eval events, %d after the cancel; want reached, >= 2, 0", final, ticks, afterCancel)
	}
}
