package nn

import "warmstart/nn/spec"

// The experiment's settings and results live in package spec, which the
// browser page imports without the training core; nn re-exports them so
// that callers of Run need one import.

type (
	Phase            = spec.Phase
	Train            = spec.Train
	Config           = spec.Config
	EventKind        = spec.EventKind
	Event            = spec.Event
	Observer         = spec.Observer
	EpochStats       = spec.EpochStats
	Eval             = spec.Eval
	ClassifierResult = spec.ClassifierResult
	DAEResult        = spec.DAEResult
	SampleGrid       = spec.SampleGrid
	Report           = spec.Report
	Comparison       = spec.Comparison
	Provenance       = spec.Provenance
)

const (
	NumClasses = spec.NumClasses

	PhaseBaseline   = spec.PhaseBaseline
	PhaseDAE        = spec.PhaseDAE
	PhasePretrained = spec.PhasePretrained
	PhaseFineTune   = spec.PhaseFineTune

	EventPhaseStart = spec.EventPhaseStart
	EventBatch      = spec.EventBatch
	EventEpoch      = spec.EventEpoch
	EventEvaluate   = spec.EventEvaluate
	EventPhaseEnd   = spec.EventPhaseEnd
	EventEvalBatch  = spec.EventEvalBatch
)

var (
	// ClassNames names the ten Fashion-MNIST classes by label.
	ClassNames = spec.ClassNames
	// AllPhases lists every phase in run order.
	AllPhases = spec.AllPhases
	// ErrConfig is wrapped by every error of [Config.Validate].
	ErrConfig = spec.ErrConfig
)

// DefaultConfig returns SPEC.md's settings; see [spec.DefaultConfig].
func DefaultConfig() Config { return spec.DefaultConfig() }

// ParsePhases reads a list of phase names; see [spec.ParsePhases].
func ParsePhases(s string) ([]Phase, error) { return spec.ParsePhases(s) }

// McNemarExact is McNemar's exact test; see [spec.McNemarExact].
func McNemarExact(b, c int) float64 { return spec.McNemarExact(b, c) }

// CurrentProvenance describes this build and machine; see
// [spec.CurrentProvenance].
func CurrentProvenance(seed uint64) Provenance { return spec.CurrentProvenance(seed) }
