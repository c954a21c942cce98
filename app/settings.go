package app

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// settings is the Train form as the user typed it: strings, so that a
// half-typed number stays on screen, and parsed only when Train is pressed.
type settings struct {
	Seed       string
	Epochs     [4]string // per phase, in the order of spec.AllPhases
	Batch      string    // every phase
	LR         string    // phases 1 to 3
	FineTuneLR string
	Noise      string
	Phases     [4]bool // which phases run, in the order of spec.AllPhases
	// Workers is how many Web Workers train data-parallel; it starts at
	// the number of cores the worker reports (see defaultWorkers).
	Workers string
}

// defaultWorkers is the worker count the form offers on a machine with
// cores logical cores: one per core, within what the protocol allows.
func defaultWorkers(cores int) int {
	return min(max(cores, 1), protocol.MaxWorkers)
}

// workers parses the Workers field.
func (f settings) workers() (int, error) {
	w, err := strconv.Atoi(strings.TrimSpace(f.Workers))
	if err != nil || w < 1 || w > protocol.MaxWorkers {
		return 0, &formError{idWorkers, fmt.Sprintf("Workers: %q is not a whole number from 1 to %d.", f.Workers, protocol.MaxWorkers)}
	}
	return w, nil
}

// settingsFrom fills the form from a configuration.
func settingsFrom(c spec.Config) settings {
	f := settings{
		Seed:       strconv.FormatUint(c.Seed, 10),
		Batch:      strconv.Itoa(c.Baseline.BatchSize),
		LR:         strconv.FormatFloat(c.Baseline.LearningRate, 'g', -1, 64),
		FineTuneLR: strconv.FormatFloat(c.FineTune.LearningRate, 'g', -1, 64),
		Noise:      strconv.FormatFloat(c.Noise, 'g', -1, 64),
		Workers:    "1",
	}
	for i, p := range spec.AllPhases {
		f.Epochs[i] = strconv.Itoa(c.TrainFor(p).Epochs)
		f.Phases[i] = c.Runs(p)
	}
	return f
}

// formError is a settings error, with the id of the input at fault ("" when
// it concerns the form as a whole) so the page can mark that input.
type formError struct {
	Field string
	Msg   string
}

func (e *formError) Error() string { return e.Msg }

// The ids of the form's inputs.
const (
	idSeed       = "set-seed"
	idBatch      = "set-batch"
	idLR         = "set-lr"
	idFineTuneLR = "set-ftlr"
	idNoise      = "set-noise"
	idWorkers    = "set-workers"
)

func idEpochs(i int) string { return "set-epochs-" + string(spec.AllPhases[i]) }
func idPhase(i int) string  { return "set-phase-" + string(spec.AllPhases[i]) }

// config parses the form into a configuration based on [spec.DefaultConfig]
// (splits and grid size are not on the form) and checks it with
// [spec.Config.Validate]. The error is a *formError whose message says
// which setting is wrong and why.
func (f settings) config() (spec.Config, error) {
	c := spec.DefaultConfig()
	var err error
	if c.Seed, err = strconv.ParseUint(strings.TrimSpace(f.Seed), 10, 64); err != nil {
		return c, &formError{idSeed, fmt.Sprintf("Seed: %q is not a whole number from 0 to 18446744073709551615.", f.Seed)}
	}
	batch, err := strconv.Atoi(strings.TrimSpace(f.Batch))
	if err != nil {
		return c, &formError{idBatch, fmt.Sprintf("Batch size: %q is not a whole number.", f.Batch)}
	}
	lr, err := parseFloat(f.LR)
	if err != nil {
		return c, &formError{idLR, fmt.Sprintf("Learning rate: %q is not a number (for example 0.001 or 1e-3).", f.LR)}
	}
	ftlr, err := parseFloat(f.FineTuneLR)
	if err != nil {
		return c, &formError{idFineTuneLR, fmt.Sprintf("Fine-tuning learning rate: %q is not a number (for example 1e-5).", f.FineTuneLR)}
	}
	if c.Noise, err = parseFloat(f.Noise); err != nil {
		return c, &formError{idNoise, fmt.Sprintf("Noise factor: %q is not a number (for example 0.2).", f.Noise)}
	}
	c.Phases = nil
	for i, p := range spec.AllPhases {
		n, err := strconv.Atoi(strings.TrimSpace(f.Epochs[i]))
		if err != nil {
			return c, &formError{idEpochs(i), fmt.Sprintf("Epochs of %s: %q is not a whole number.", phaseTitle(p), f.Epochs[i])}
		}
		t := spec.Train{Epochs: n, BatchSize: batch, LearningRate: lr}
		switch p {
		case spec.PhaseBaseline:
			c.Baseline = t
		case spec.PhaseDAE:
			c.DAE = t
		case spec.PhasePretrained:
			c.Pretrained = t
		case spec.PhaseFineTune:
			t.LearningRate = ftlr
			c.FineTune = t
		}
		if f.Phases[i] {
			c.Phases = append(c.Phases, p)
		}
	}
	if err := c.Validate(); err != nil {
		return c, &formError{fieldOf(err.Error()), sentence(strings.TrimPrefix(err.Error(), spec.ErrConfig.Error()+": "))}
	}
	return c, nil
}

// fieldOf guesses the input that a [spec.Config.Validate] message is about,
// so that the page can mark it; "" when it is the form as a whole.
func fieldOf(msg string) string {
	switch {
	case strings.Contains(msg, "epochs"):
		for i, p := range spec.AllPhases {
			if strings.Contains(msg, string(p)+" epochs") {
				return idEpochs(i)
			}
		}
	case strings.Contains(msg, "batch size"):
		return idBatch
	case strings.Contains(msg, "finetune learning rate"):
		return idFineTuneLR
	case strings.Contains(msg, "learning rate"):
		return idLR
	case strings.Contains(msg, "noise"):
		return idNoise
	}
	return ""
}

func parseFloat(s string) (float64, error) {
	return strconv.ParseFloat(strings.TrimSpace(s), 64)
}

// sentence capitalises msg and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// phaseTitle names a phase for people.
func phaseTitle(p spec.Phase) string {
	switch p {
	case spec.PhaseBaseline:
		return "1 · baseline CNN"
	case spec.PhaseDAE:
		return "2 · denoising autoencoder"
	case spec.PhasePretrained:
		return "3 · pretrained CNN"
	case spec.PhaseFineTune:
		return "4 · fine-tuning"
	}
	return string(p)
}

// modelName names a phase's model in tables and legends.
func modelName(p spec.Phase) string {
	switch p {
	case spec.PhaseBaseline:
		return "baseline"
	case spec.PhaseDAE:
		return "autoencoder"
	case spec.PhasePretrained:
		return "pretrained"
	case spec.PhaseFineTune:
		return "fine-tuned"
	}
	return string(p)
}

// quickSettings is a short run for trying the app out: every phase, one
// epoch each.
func quickSettings(f settings) settings {
	for i := range f.Epochs {
		f.Epochs[i] = "1"
	}
	for i := range f.Phases {
		f.Phases[i] = true
	}
	return f
}
