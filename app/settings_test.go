package app

import (
	"reflect"
	"strings"
	"testing"

	"warmstart/nn/spec"
)

func TestSettingsDefaultsRoundTrip(t *testing.T) {
	want := spec.DefaultConfig()
	got, err := settingsFrom(want).config()
	if err != nil {
		t.Fatalf("the default settings do not parse: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults changed on the way through the form:\n got %+v\nwant %+v", got, want)
	}
}

func TestSettingsParse(t *testing.T) {
	f := settingsFrom(spec.DefaultConfig())
	f.Seed, f.Batch, f.LR, f.FineTuneLR, f.Noise = " 7 ", "128", "2e-3", "0.00002", "0.3"
	f.Epochs = [4]string{"3", "4", "5", "6"}
	f.Phases = [4]bool{true, true, true, false}
	c, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	if c.Seed != 7 || c.Noise != 0.3 {
		t.Errorf("seed %d, noise %g; want 7, 0.3", c.Seed, c.Noise)
	}
	if want := (spec.Train{Epochs: 4, BatchSize: 128, LearningRate: 2e-3}); c.DAE != want {
		t.Errorf("DAE %+v, want %+v", c.DAE, want)
	}
	if want := (spec.Train{Epochs: 6, BatchSize: 128, LearningRate: 2e-5}); c.FineTune != want {
		t.Errorf("fine-tuning %+v, want %+v", c.FineTune, want)
	}
	if want := []spec.Phase{spec.PhaseBaseline, spec.PhaseDAE, spec.PhasePretrained}; !reflect.DeepEqual(c.Phases, want) {
		t.Errorf("phases %v, want %v", c.Phases, want)
	}
}

func TestSettingsErrors(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*settings)
		wantField string
		wantMsg   string
	}{
		{"seed not a number", func(f *settings) { f.Seed = "abc" }, idSeed, `Seed: "abc" is not a whole number`},
		{"negative seed", func(f *settings) { f.Seed = "-1" }, idSeed, "Seed"},
		{"batch not a number", func(f *settings) { f.Batch = "2.5" }, idBatch, "Batch size"},
		{"batch zero", func(f *settings) { f.Batch = "0" }, idBatch, "Baseline batch size 0 out of range [1, 8192]."},
		{"learning rate", func(f *settings) { f.LR = "fast" }, idLR, "Learning rate"},
		{"learning rate zero", func(f *settings) { f.LR = "0" }, idLR, "learning rate 0 out of range"},
		{"fine-tuning learning rate", func(f *settings) { f.FineTuneLR = "100" }, idFineTuneLR, "Finetune learning rate 100 out of range (0, 10)."},
		{"noise", func(f *settings) { f.Noise = "-0.1" }, idNoise, "Noise factor -0.1 out of range [0, 10]."},
		{"epochs", func(f *settings) { f.Epochs[1] = "-2" }, idEpochs(1), "Dae epochs -2 out of range [0, 10000]."},
		{"epochs not a number", func(f *settings) { f.Epochs[2] = "" }, idEpochs(2), "Epochs of 3 · pretrained CNN"},
		{"no phase", func(f *settings) { f.Phases = [4]bool{} }, "", "No phases selected."},
		{"pretrained without dae", func(f *settings) { f.Phases = [4]bool{true, false, true, false} }, "",
			"Phase pretrained needs phase dae in the same run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := settingsFrom(spec.DefaultConfig())
			tc.edit(&f)
			_, err := f.config()
			fe, ok := err.(*formError)
			if !ok {
				t.Fatalf("error %v (%T), want a *formError", err, err)
			}
			if fe.Field != tc.wantField {
				t.Errorf("field %q, want %q", fe.Field, tc.wantField)
			}
			if !strings.Contains(fe.Msg, tc.wantMsg) {
				t.Errorf("message %q does not contain %q", fe.Msg, tc.wantMsg)
			}
		})
	}
}

func TestQuickSettings(t *testing.T) {
	c, err := quickSettings(settingsFrom(spec.DefaultConfig())).config()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range spec.AllPhases {
		if c.TrainFor(p).Epochs != 1 || !c.Runs(p) {
			t.Errorf("%s: %d epochs, runs %v; want 1 epoch, every phase", p, c.TrainFor(p).Epochs, c.Runs(p))
		}
	}
}

func TestWorkersSetting(t *testing.T) {
	for cores, want := range map[int]int{0: 1, 1: 1, 2: 2, 8: 8, 64: 16} {
		if got := defaultWorkers(cores); got != want {
			t.Errorf("defaultWorkers(%d) = %d, want %d", cores, got, want)
		}
	}
	f := settingsFrom(spec.DefaultConfig())
	for in, ok := range map[string]bool{"1": true, " 4 ": true, "16": true, "0": false, "17": false, "two": false, "": false} {
		f.Workers = in
		w, err := f.workers()
		if (err == nil) != ok {
			t.Errorf("workers(%q) = %d, %v; want ok=%v", in, w, err, ok)
		}
		if fe, isForm := err.(*formError); err != nil && (!isForm || fe.Field != idWorkers) {
			t.Errorf("workers(%q): error %v does not mark the Workers field", in, err)
		}
	}
}
