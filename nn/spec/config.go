package spec

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"warmstart/nn/data"
)

// Phase names one of the four training phases of SPEC.md.
type Phase string

// The phases, in the order an experiment runs them.
const (
	PhaseBaseline   Phase = "baseline"   // 1: the CNN trained from scratch
	PhaseDAE        Phase = "dae"        // 2: the denoising autoencoder
	PhasePretrained Phase = "pretrained" // 3: the CNN on the frozen DAE encoder
	PhaseFineTune   Phase = "finetune"   // 4: the pretrained CNN, encoder unfrozen
)

// AllPhases lists every phase in run order.
var AllPhases = []Phase{PhaseBaseline, PhaseDAE, PhasePretrained, PhaseFineTune}

// ParsePhases reads a comma-separated list of phase names, or "all", and
// returns them in run order, whatever order the list gave.
func ParsePhases(s string) ([]Phase, error) {
	if strings.TrimSpace(s) == "all" {
		return append([]Phase(nil), AllPhases...), nil
	}
	var out []Phase
	for _, f := range strings.Split(s, ",") {
		p := Phase(strings.TrimSpace(f))
		if !p.valid() {
			return nil, fmt.Errorf("unknown phase %q (want baseline, dae, pretrained, finetune or all)", f)
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b Phase) int {
		return slices.Index(AllPhases, a) - slices.Index(AllPhases, b)
	})
	return out, nil
}

func (p Phase) valid() bool {
	for _, q := range AllPhases {
		if p == q {
			return true
		}
	}
	return false
}

// Train holds the optimisation settings of one phase.
type Train struct {
	Epochs       int     `json:"epochs"`
	BatchSize    int     `json:"batch_size"`
	LearningRate float64 `json:"learning_rate"`
}

// Config is everything that determines an experiment's numbers. The zero
// value is not useful: start from [DefaultConfig].
type Config struct {
	Seed   uint64  `json:"seed"`
	Phases []Phase `json:"phases"` // which phases run, in run order

	Baseline   Train `json:"baseline"`
	DAE        Train `json:"dae"`
	Pretrained Train `json:"pretrained"`
	FineTune   Train `json:"finetune"`

	Noise  float64          `json:"noise_factor"` // σ of the DAE's Gaussian corruption
	Splits data.SplitConfig `json:"splits"`

	// GridImages is how many validation images the clean / noisy /
	// denoised sample grid shows.
	GridImages int `json:"grid_images"`
}

// DefaultConfig returns SPEC.md's settings: seed 1, all four phases,
// Adam at lr 0.001 (1e-5 for fine-tuning), batch 256, 10 epochs each,
// noise factor 0.2, the stratified 57,000/3,000 and 1,800/600/600 splits.
func DefaultConfig() Config {
	t := Train{Epochs: 10, BatchSize: 256, LearningRate: 1e-3}
	ft := t
	ft.LearningRate = 1e-5
	return Config{
		Seed:       1,
		Phases:     append([]Phase(nil), AllPhases...),
		Baseline:   t,
		DAE:        t,
		Pretrained: t,
		FineTune:   ft,
		Noise:      0.2,
		Splits:     data.DefaultSplitConfig(),
		GridImages: 10,
	}
}

// Runs reports whether the configuration includes phase p.
func (c *Config) Runs(p Phase) bool {
	for _, q := range c.Phases {
		if q == p {
			return true
		}
	}
	return false
}

// TrainFor returns the settings of phase p.
func (c *Config) TrainFor(p Phase) Train {
	switch p {
	case PhaseBaseline:
		return c.Baseline
	case PhaseDAE:
		return c.DAE
	case PhasePretrained:
		return c.Pretrained
	default:
		return c.FineTune
	}
}

// ErrConfig is wrapped by every error of [Config.Validate].
var ErrConfig = errors.New("invalid config")

// Validate checks the settings once, before anything runs, and returns an
// error wrapping [ErrConfig] that names the first bad field.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	if len(c.Phases) == 0 {
		return bad("no phases selected")
	}
	seen := map[Phase]bool{}
	for _, p := range c.Phases {
		if !p.valid() {
			return bad("unknown phase %q", p)
		}
		if seen[p] {
			return bad("phase %q listed twice", p)
		}
		seen[p] = true
	}
	if c.Runs(PhasePretrained) && !c.Runs(PhaseDAE) {
		return bad("phase pretrained needs phase dae in the same run (its encoder comes from the DAE)")
	}
	if c.Runs(PhaseFineTune) && !c.Runs(PhasePretrained) {
		return bad("phase finetune needs phase pretrained in the same run")
	}
	for _, p := range c.Phases {
		t := c.TrainFor(p)
		switch {
		case t.Epochs < 0 || t.Epochs > 10000:
			return bad("%s epochs %d out of range [0, 10000]", p, t.Epochs)
		case t.BatchSize < 1 || t.BatchSize > 8192:
			return bad("%s batch size %d out of range [1, 8192]", p, t.BatchSize)
		case !(t.LearningRate > 0 && t.LearningRate < 10):
			return bad("%s learning rate %g out of range (0, 10)", p, t.LearningRate)
		}
	}
	if !(c.Noise >= 0 && c.Noise <= 10) {
		return bad("noise factor %g out of range [0, 10]", c.Noise)
	}
	if c.GridImages < 0 || c.GridImages > 100 {
		return bad("grid images %d out of range [0, 100]", c.GridImages)
	}
	s := c.Splits
	if s.UnsupTrain < 1 || s.UnsupVal < 1 || s.SupTrain < 1 || s.SupVal < 1 || s.SupTest < 1 {
		return bad("every split needs at least one image: %+v", s)
	}
	if c.GridImages > s.UnsupVal {
		return bad("grid images %d exceed the %d DAE validation images", c.GridImages, s.UnsupVal)
	}
	return nil
}
