package report

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warmstart/nn"
)

func seedReport(seed uint64, base, pre float64, interrupted bool) *nn.Report {
	cfg := nn.DefaultConfig()
	cfg.Seed = seed
	r := &nn.Report{Config: cfg, Interrupted: interrupted,
		Baseline:    &nn.ClassifierResult{Phase: nn.PhaseBaseline, Test: nn.Eval{Accuracy: base, N: 600}, Val: nn.Eval{Accuracy: base - 0.01}},
		Pretrained:  &nn.ClassifierResult{Phase: nn.PhasePretrained, Test: nn.Eval{Accuracy: pre, N: 600}, Val: nn.Eval{Accuracy: pre - 0.01}},
		DAE:         &nn.DAEResult{ValMSE: 0.01 * float64(seed)},
		Comparisons: []nn.Comparison{{APhase: nn.PhaseBaseline, BPhase: nn.PhasePretrained, PValue: 0.5}},
	}
	r.Baseline.PerClass[6], r.Pretrained.PerClass[6] = 0.1, 0.3
	return r
}

// TestSummarize checks the estimates against values worked out by hand:
// with three seeds, t(0.975, 2) = 4.302653, and the paired t-test with 2
// degrees of freedom has the closed form p = 1 - t/sqrt(t²+2).
func TestSummarize(t *testing.T) {
	reps := []*nn.Report{
		seedReport(1, 0.70, 0.73, false),
		seedReport(2, 0.72, 0.74, false),
		seedReport(3, 0.74, 0.78, false),
		seedReport(4, 0.10, 0.90, true), // interrupted: listed, not counted
	}
	s := Summarize(reps)
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: got %.8f, want %.8f", name, got, want)
		}
	}
	b := s.Test[nn.PhaseBaseline]
	near("baseline mean", b.Mean, 0.72)
	near("baseline sd", b.SD, 0.02)
	half := 4.302653 * 0.02 / math.Sqrt(3)
	near("baseline CI low", float64(b.Low), 0.72-half)
	near("baseline CI high", float64(b.High), 0.72+half)
	if len(s.Paired) != 1 {
		t.Fatalf("got %d paired comparisons, want 1", len(s.Paired))
	}
	p := s.Paired[0]
	near("paired mean", p.Diff.Mean, 0.03)
	tstat := 0.03 / (0.01 / math.Sqrt(3))
	near("paired p", float64(p.PValue), 1-tstat/math.Sqrt(tstat*tstat+2))
	if p.Wins != 3 || p.Losses != 0 || s.Incomplete != 1 || len(s.Seeds) != 4 {
		t.Errorf("wins %d, losses %d, incomplete %d, seeds %d; want 3, 0, 1, 4", p.Wins, p.Losses, s.Incomplete, len(s.Seeds))
	}
	near("shirt mean", s.Shirt[nn.PhasePretrained].Mean, 0.3)
	near("dae mse mean", s.DAEValMSE.Mean, 0.02)

	md := SummaryMarkdown(s)
	for _, want := range []string{"4 seeds", "1 run interrupted", "72.00% [", "+3.00 pp [", "3 / 0 / 0", "interrupted |"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
}

// TestSummaryOneSeed checks that one seed gives a mean without an
// interval, written as null in JSON rather than failing on NaN.
func TestSummaryOneSeed(t *testing.T) {
	s := Summarize([]*nn.Report{seedReport(1, 0.7, 0.8, false)})
	dir := t.TempDir()
	if err := WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if e := back.Test[nn.PhaseBaseline]; e.Mean != 0.7 || !math.IsNaN(float64(e.Low)) {
		t.Errorf("one seed: got %+v, want mean 0.7 and no interval", e)
	}
	md, err := os.ReadFile(filepath.Join(dir, SummaryMarkdownFile))
	if err != nil || !strings.Contains(string(md), "at least two finished seeds") || strings.Contains(string(md), "70.00% [") {
		t.Errorf("summary.md with one seed:\n%s", md)
	}
}
