package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"warmstart/nn"
	"warmstart/server/internal/atomicfile"
)

// The names of the files [WriteSummary] creates.
const (
	SummaryFile         = "summary.json"
	SummaryMarkdownFile = "summary.md"
)

// Estimate is a mean over seeds with its 95% confidence interval, from
// Student's t distribution with N-1 degrees of freedom. With one seed the
// interval is unknown: Low and High are NaN, written as null.
type Estimate struct {
	N    int       `json:"n"`
	Mean float64   `json:"mean"`
	SD   float64   `json:"sd"`   // sample standard deviation
	Low  jsonFloat `json:"low"`  // 95% confidence interval
	High jsonFloat `json:"high"` //
}

// jsonFloat writes NaN as null, which JSON has no number for.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	return json.Unmarshal(b, (*float64)(f))
}

func estimate(xs []float64) Estimate {
	e := Estimate{N: len(xs), Low: jsonFloat(math.NaN()), High: jsonFloat(math.NaN())}
	if len(xs) == 0 {
		e.Mean = math.NaN()
		return e
	}
	e.Mean = stat.Mean(xs, nil)
	if len(xs) < 2 {
		return e
	}
	e.SD = stat.StdDev(xs, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 1)}.Quantile(0.975)
	half := t * e.SD / math.Sqrt(float64(len(xs)))
	e.Low, e.High = jsonFloat(e.Mean-half), jsonFloat(e.Mean+half)
	return e
}

// Paired compares a classifier with the baseline over the same seeds: the
// per-seed differences (other minus baseline), their estimate, and the
// two-sided p-value of the paired t-test (NaN with fewer than two seeds
// or no spread).
type Paired struct {
	Phase  nn.Phase  `json:"phase"`
	Diff   Estimate  `json:"test_accuracy_diff"`
	PValue jsonFloat `json:"p_value"`
	Wins   int       `json:"wins"`   // seeds where it beat the baseline
	Losses int       `json:"losses"` // seeds where the baseline won
}

func paired(p nn.Phase, diffs []float64) Paired {
	pr := Paired{Phase: p, Diff: estimate(diffs), PValue: jsonFloat(math.NaN())}
	for _, d := range diffs {
		switch {
		case d > 0:
			pr.Wins++
		case d < 0:
			pr.Losses++
		}
	}
	if n := len(diffs); n >= 2 && pr.Diff.SD > 0 {
		tstat := pr.Diff.Mean / (pr.Diff.SD / math.Sqrt(float64(n)))
		dist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}
		pr.PValue = jsonFloat(2 * dist.CDF(-math.Abs(tstat)))
	}
	return pr
}

// SeedRow is one seed's headline numbers.
type SeedRow struct {
	Seed        uint64               `json:"seed"`
	Interrupted bool                 `json:"interrupted,omitempty"`
	Test        map[nn.Phase]float64 `json:"test_accuracy"`
	Shirt       map[nn.Phase]float64 `json:"shirt_accuracy"`
	McNemarP    map[nn.Phase]float64 `json:"mcnemar_p,omitempty"` // against the baseline
	DAEValMSE   float64              `json:"dae_val_mse,omitempty"`
}

// Summary gathers the runs of several seeds with otherwise equal settings.
type Summary struct {
	Config nn.Config `json:"config"` // the settings, with the first seed
	Seeds  []SeedRow `json:"seeds"`
	// Estimates over the seeds whose run finished, by phase.
	Test       map[nn.Phase]Estimate `json:"test_accuracy"`
	Val        map[nn.Phase]Estimate `json:"val_accuracy"`
	Shirt      map[nn.Phase]Estimate `json:"shirt_accuracy"`
	DAEValMSE  *Estimate             `json:"dae_val_mse,omitempty"`
	Paired     []Paired              `json:"paired,omitempty"`
	Incomplete int                   `json:"incomplete"` // interrupted runs, left out of the estimates
}

// Summarize computes the summary of reps, one per seed. Interrupted runs
// are listed but left out of the estimates, so that every estimate pairs
// the same seeds.
func Summarize(reps []*nn.Report) *Summary {
	s := &Summary{Test: map[nn.Phase]Estimate{}, Val: map[nn.Phase]Estimate{}, Shirt: map[nn.Phase]Estimate{}}
	if len(reps) == 0 {
		return s
	}
	s.Config = reps[0].Config
	test, val, shirt := map[nn.Phase][]float64{}, map[nn.Phase][]float64{}, map[nn.Phase][]float64{}
	diffs := map[nn.Phase][]float64{}
	var mse []float64
	for _, r := range reps {
		row := SeedRow{Seed: r.Config.Seed, Interrupted: r.Interrupted,
			Test: map[nn.Phase]float64{}, Shirt: map[nn.Phase]float64{}, McNemarP: map[nn.Phase]float64{}}
		for _, c := range presentClassifiers(r) {
			row.Test[c.phase] = c.res.Test.Accuracy
			row.Shirt[c.phase] = c.res.PerClass[shirtClass]
		}
		for _, c := range r.Comparisons {
			row.McNemarP[c.BPhase] = c.PValue
		}
		if r.DAE != nil {
			row.DAEValMSE = r.DAE.ValMSE
		}
		s.Seeds = append(s.Seeds, row)
		if r.Interrupted {
			s.Incomplete++
			continue
		}
		for _, c := range presentClassifiers(r) {
			test[c.phase] = append(test[c.phase], c.res.Test.Accuracy)
			val[c.phase] = append(val[c.phase], c.res.Val.Accuracy)
			shirt[c.phase] = append(shirt[c.phase], c.res.PerClass[shirtClass])
			if r.Baseline != nil && c.phase != nn.PhaseBaseline {
				diffs[c.phase] = append(diffs[c.phase], c.res.Test.Accuracy-r.Baseline.Test.Accuracy)
			}
		}
		if r.DAE != nil {
			mse = append(mse, r.DAE.ValMSE)
		}
	}
	for p, xs := range test {
		s.Test[p], s.Val[p], s.Shirt[p] = estimate(xs), estimate(val[p]), estimate(shirt[p])
	}
	if len(mse) > 0 {
		e := estimate(mse)
		s.DAEValMSE = &e
	}
	for _, p := range []nn.Phase{nn.PhasePretrained, nn.PhaseFineTune} {
		if d, ok := diffs[p]; ok {
			s.Paired = append(s.Paired, paired(p, d))
		}
	}
	return s
}

// WriteSummary writes summary.json and summary.md into dir.
func WriteSummary(dir string, s *Summary) error {
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encode summary: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, SummaryFile), append(js, '\n')); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(dir, SummaryMarkdownFile), []byte(SummaryMarkdown(s)))
}

// SummaryMarkdown renders s for people.
func SummaryMarkdown(s *Summary) string {
	m := &mdWriter{}
	done := len(s.Seeds) - s.Incomplete
	m.printf("# warmstart: %s\n\n", count(len(s.Seeds), "seed"))
	if s.Incomplete > 0 {
		m.printf("> **%s interrupted**: left out of the estimates below, which use %s.\n\n",
			count(s.Incomplete, "run"), count(done, "seed"))
	}
	m.printf("%s", "Each seed is a full run with its own splits, initialisation, batch order and noise; "+
		"every other setting is the same (see any seed's report.md). Intervals are 95% confidence "+
		"intervals of the mean over seeds (Student's t)")
	if done < 2 {
		m.printf(", which need at least two finished seeds")
	}
	m.printf(".\n\n")

	phases := summaryPhases(s)
	if len(phases) > 0 {
		m.printf("## Accuracy over seeds\n\n")
		header := []string{"metric"}
		for _, p := range phases {
			header = append(header, string(p))
		}
		var rows [][]string
		for _, metric := range []struct {
			name string
			est  map[nn.Phase]Estimate
		}{{"test accuracy", s.Test}, {"validation accuracy", s.Val}, {"Shirt (class 6) test accuracy", s.Shirt}} {
			row := []string{metric.name}
			for _, p := range phases {
				row = append(row, formatEstimate(metric.est[p]))
			}
			rows = append(rows, row)
		}
		m.table(header, rows)
	}
	if s.DAEValMSE != nil {
		m.printf("DAE validation MSE: %s.\n\n", formatEstimateWith(*s.DAEValMSE, formatMSE))
	}
	if len(s.Paired) > 0 {
		m.printf("## Against the baseline, seed by seed\n\n")
		m.printf("%s", "The difference in test accuracy on the same seed (same splits, same head "+
			"initialisation, same batch order), its mean over seeds with a 95% interval, and the "+
			"paired t-test's two-sided p-value. An interval that contains 0 means the seeds do not "+
			"show a difference.\n\n")
		var rows [][]string
		for _, p := range s.Paired {
			pv := "–"
			if !math.IsNaN(float64(p.PValue)) {
				pv = strconv.FormatFloat(float64(p.PValue), 'f', 3, 64)
			}
			rows = append(rows, []string{string(p.Phase) + " − baseline", formatEstimateWith(p.Diff, signedPoints),
				pv, fmt.Sprintf("%d / %d / %d", p.Wins, p.Losses, p.Diff.N-p.Wins-p.Losses)})
		}
		m.table([]string{"comparison", "mean difference [95% CI]", "paired t p", "wins / losses / ties"}, rows)
	}
	m.printf("## Seeds\n\n")
	header := []string{"seed"}
	for _, p := range phases {
		header = append(header, string(p)+" test")
	}
	header = append(header, "McNemar p (vs baseline)", "")
	var rows [][]string
	for _, r := range s.Seeds {
		row := []string{strconv.FormatUint(r.Seed, 10)}
		for _, p := range phases {
			if v, ok := r.Test[p]; ok {
				row = append(row, percent(v))
			} else {
				row = append(row, "–")
			}
		}
		var ps []string
		for _, p := range []nn.Phase{nn.PhasePretrained, nn.PhaseFineTune} {
			if v, ok := r.McNemarP[p]; ok {
				ps = append(ps, string(p)+" "+strconv.FormatFloat(v, 'f', 3, 64))
			}
		}
		note := ""
		if r.Interrupted {
			note = "interrupted"
		}
		rows = append(rows, append(row, orDash(strings.Join(ps, ", ")), note))
	}
	m.table(header, rows)
	return m.b.String()
}

// summaryPhases lists the classifier phases present, in run order.
func summaryPhases(s *Summary) []nn.Phase {
	var out []nn.Phase
	for _, p := range []nn.Phase{nn.PhaseBaseline, nn.PhasePretrained, nn.PhaseFineTune} {
		for _, r := range s.Seeds {
			if _, ok := r.Test[p]; ok {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func formatEstimate(e Estimate) string { return formatEstimateWith(e, percent) }

func formatEstimateWith(e Estimate, f func(float64) string) string {
	switch {
	case e.N == 0:
		return "–"
	case math.IsNaN(float64(e.Low)):
		return f(e.Mean)
	}
	return fmt.Sprintf("%s [%s, %s]", f(e.Mean), f(float64(e.Low)), f(float64(e.High)))
}

// signedPoints writes an accuracy difference in percentage points.
func signedPoints(v float64) string { return fmt.Sprintf("%+.2f pp", 100*v) }
