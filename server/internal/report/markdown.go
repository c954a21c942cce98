package report

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"warmstart/nn"
)

// Markdown returns report.md for r. It links the plots that [Write] draws
// for r, by their file names in the same directory.
func Markdown(r *nn.Report) string {
	m := &mdWriter{r: r, plots: map[string]plotFile{}}
	for _, p := range plotsFor(r) {
		m.plots[p.name] = p
	}
	m.header()
	m.provenance()
	m.settings()
	m.results()
	m.history()
	m.wallTime()
	return m.b.String()
}

type mdWriter struct {
	b     strings.Builder
	r     *nn.Report
	plots map[string]plotFile
}

func (m *mdWriter) printf(format string, args ...any) { fmt.Fprintf(&m.b, format, args...) }

// table writes a Markdown table; cells are escaped.
func (m *mdWriter) table(header []string, rows [][]string) {
	row := func(cells []string) {
		m.b.WriteString("|")
		for _, c := range cells {
			m.b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
		}
		m.b.WriteString("\n")
	}
	row(header)
	m.b.WriteString("|")
	for range header {
		m.b.WriteString("---|")
	}
	m.b.WriteString("\n")
	for _, r := range rows {
		row(r)
	}
	m.b.WriteString("\n")
}

// image links the plot called name, if it was drawn.
func (m *mdWriter) image(name string) {
	if p, ok := m.plots[name]; ok {
		m.printf("![%s](%s)\n\n", p.alt, p.name)
	}
}

func (m *mdWriter) header() {
	r := m.r
	m.printf("# warmstart experiment report\n\n")
	if r.Interrupted {
		m.printf("> **Warning: this run was interrupted.** Only the phases that finished " +
			"are reported; the others are missing from every table below.\n")
		if r.Error != "" {
			m.printf(">\n> Error: `%s`\n", r.Error)
		}
		m.printf("\n")
	} else if r.Error != "" {
		m.printf("> **Error:** `%s`\n\n", r.Error)
	}
	if !r.EncoderPretrained && r.Pretrained != nil {
		m.printf("> **Warning: the encoder was NOT pretrained.** The DAE ran 0 epochs, so " +
			"the \"pretrained\" CNN was trained on a frozen, randomly initialised encoder. " +
			"Its comparison with the baseline says nothing about pretraining.\n\n")
	}
}

func (m *mdWriter) provenance() {
	p := m.r.Provenance
	rev := p.VCSRevision
	if rev == "" {
		rev = "unknown (the binary carries no version-control stamp, e.g. built with -buildvcs=false)"
	} else {
		if p.VCSModified {
			rev += " (dirty: uncommitted changes)"
		}
		if p.VCSTime != "" {
			rev += ", committed " + p.VCSTime
		}
	}
	var build []string
	for _, k := range slices.Sorted(maps.Keys(p.Build)) {
		build = append(build, k+"="+p.Build[k])
	}
	buildStr := "—"
	if len(build) > 0 {
		buildStr = "`" + strings.Join(build, "`, `") + "`"
	}
	m.printf("## Provenance\n\n")
	m.table([]string{"", ""}, [][]string{
		{"module", orDash(p.Module)},
		{"revision", rev},
		{"Go", orDash(p.GoVersion)},
		{"platform", p.GOOS + "/" + p.GOARCH},
		{"build settings", buildStr},
		{"CPU", fmt.Sprintf("%s (%d logical CPUs)", orDash(p.CPU), p.NumCPU)},
		{"threads (GOMAXPROCS)", strconv.Itoa(p.Threads)},
		{"seed", strconv.FormatUint(p.Seed, 10)},
		{"started", p.Started.UTC().Format(time.RFC3339)},
		{"wall time", formatSeconds(m.r.Seconds)},
	})
}

func (m *mdWriter) settings() {
	c := m.r.Config
	var phases []string
	for _, p := range c.Phases {
		phases = append(phases, string(p))
	}
	s := c.Splits
	sampling := "stratified by class"
	if !s.Stratified {
		sampling = "plain random sampling"
	}
	m.printf("## Settings\n\n")
	m.table([]string{"setting", "value"}, [][]string{
		{"seed", strconv.FormatUint(c.Seed, 10)},
		{"phases", strings.Join(phases, ", ")},
		{"noise factor σ", formatFloat(c.Noise)},
		{"unsupervised split (training images)",
			fmt.Sprintf("%s train / %s validation", thousands(s.UnsupTrain), thousands(s.UnsupVal))},
		{"supervised split (test images)",
			fmt.Sprintf("%s train / %s validation / %s test, %s",
				thousands(s.SupTrain), thousands(s.SupVal), thousands(s.SupTest), sampling)},
		{"sample grid", fmt.Sprintf("%d validation images", c.GridImages)},
	})
	var rows [][]string
	for _, p := range c.Phases {
		t := c.TrainFor(p)
		rows = append(rows, []string{string(p), strconv.Itoa(t.Epochs),
			strconv.Itoa(t.BatchSize), formatFloat(t.LearningRate)})
	}
	m.table([]string{"phase", "epochs", "batch size", "learning rate (Adam)"}, rows)
	if diff := settingsDiff(c); len(diff) > 0 {
		m.printf("These settings differ from the published design's: %s.\n\n", strings.Join(diff, "; "))
	}
}

// classifier pairs a classifier's column title with its result, nil when
// the phase did not run or did not finish.
type classifier struct {
	title string
	phase nn.Phase
	res   *nn.ClassifierResult
}

// classifiers returns the baseline and pretrained columns, always, and
// the fine-tuned one when it has a result.
func classifiers(r *nn.Report) []classifier {
	cs := []classifier{
		{"baseline", nn.PhaseBaseline, r.Baseline},
		{"pretrained", nn.PhasePretrained, r.Pretrained},
	}
	if r.FineTuned != nil {
		cs = append(cs, classifier{"fine-tuned", nn.PhaseFineTune, r.FineTuned})
	}
	return cs
}

func (m *mdWriter) results() {
	r := m.r
	if r.Baseline == nil && r.Pretrained == nil && r.FineTuned == nil && r.DAE == nil {
		return
	}
	m.printf("## Results\n\n")
	if r.Baseline != nil || r.Pretrained != nil || r.FineTuned != nil {
		m.accuracy()
		m.comparisons()
		m.perClass()
		m.confusion()
	}
	if r.DAE != nil {
		m.dae()
	}
}

func (m *mdWriter) accuracy() {
	cs := classifiers(m.r)
	header := []string{"metric"}
	for _, c := range cs {
		header = append(header, c.title)
	}
	header = append(header, "reference baseline", "reference pretrained")
	type (
		ours   func(*nn.ClassifierResult) string
		theirs func(refResult) string
	)
	metric := func(name string, f ours, ref theirs) []string {
		row := []string{name}
		for _, c := range cs {
			if c.res == nil {
				row = append(row, "—")
			} else {
				row = append(row, f(c.res))
			}
		}
		return append(row, ref(refBaseline), ref(refPretrained))
	}
	m.printf("### Accuracy\n\n")
	m.table(header, [][]string{
		metric("train accuracy",
			func(c *nn.ClassifierResult) string { return percent(c.Train.Accuracy) },
			func(f refResult) string { return fmt.Sprintf("%.2f%%", f.Train) }),
		metric("validation accuracy",
			func(c *nn.ClassifierResult) string { return percent(c.Val.Accuracy) },
			func(f refResult) string { return fmt.Sprintf("%.2f%%", f.Val) }),
		metric("test accuracy",
			func(c *nn.ClassifierResult) string { return percent(c.Test.Accuracy) },
			func(f refResult) string { return fmt.Sprintf("%.2f%%", f.Test) }),
		metric("Shirt (class 6) test accuracy",
			func(c *nn.ClassifierResult) string {
				k, n := shirtCounts(c)
				return kOfN(k, n)
			},
			func(f refResult) string { return kOfN(f.ShirtK, f.ShirtN) }),
	})
	m.printf("The reference columns are the published Keras/TensorFlow 2.10 run of the " +
		"same design (one seed, plain random split of the supervised pool). Its test " +
		"split has 600 images, so differences of a point or two are within noise.\n\n")
	if diff := settingsDiff(m.r.Config); len(diff) > 0 {
		m.printf("**This run's settings differ from the reference design** (%s), so the "+
			"reference columns are for orientation only.\n\n", strings.Join(diff, "; "))
	}
	if m.r.FineTuned != nil {
		ft := m.r.Config.FineTune
		m.printf("The baseline gets no extra epochs: fine-tuning trains the pretrained CNN "+
			"%d more epochs with its encoder unfrozen (learning rate %s, fresh Adam state), "+
			"so the fine-tuned column has had %d epochs more training than the baseline.\n\n",
			ft.Epochs, formatFloat(ft.LearningRate), ft.Epochs)
	}
	m.image(plotValAccuracy)
}

// settingsDiff lists the settings of cfg that change the numbers and
// differ from the published design's (the seed and the sample grid do
// not count).
func settingsDiff(cfg nn.Config) []string {
	def := nn.DefaultConfig()
	var diff []string
	for _, p := range nn.AllPhases {
		got, want := cfg.TrainFor(p), def.TrainFor(p)
		if cfg.Runs(p) && got != want {
			diff = append(diff, fmt.Sprintf("%s: %s, batch %d, lr %s (published: %d, %d, %s)",
				p, count(got.Epochs, "epoch"), got.BatchSize, formatFloat(got.LearningRate),
				want.Epochs, want.BatchSize, formatFloat(want.LearningRate)))
		}
	}
	if cfg.Noise != def.Noise {
		diff = append(diff, fmt.Sprintf("noise σ %s (published: %s)", formatFloat(cfg.Noise), formatFloat(def.Noise)))
	}
	if s, d := cfg.Splits, def.Splits; s.UnsupTrain != d.UnsupTrain || s.UnsupVal != d.UnsupVal ||
		s.SupTrain != d.SupTrain || s.SupVal != d.SupVal || s.SupTest != d.SupTest {
		diff = append(diff, fmt.Sprintf("splits %d/%d unlabeled, %d/%d/%d labeled (published: %d/%d, %d/%d/%d)",
			s.UnsupTrain, s.UnsupVal, s.SupTrain, s.SupVal, s.SupTest,
			d.UnsupTrain, d.UnsupVal, d.SupTrain, d.SupVal, d.SupTest))
	}
	return diff
}

// count returns n and the noun, plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// comparisons renders the paired tests of each classifier against the
// baseline on the same test images.
func (m *mdWriter) comparisons() {
	cs := m.r.Comparisons
	if len(cs) == 0 {
		return
	}
	m.printf("### Paired comparison with the baseline (test split)\n\n")
	var rows [][]string
	for _, c := range cs {
		verdict := "no significant difference"
		if c.PValue < 0.05 {
			verdict = "significant at 5%"
		}
		rows = append(rows, []string{
			string(c.BPhase) + " vs " + string(c.APhase),
			fmt.Sprintf("%+.2f points", 100*c.AccDiff),
			strconv.Itoa(c.OnlyB), strconv.Itoa(c.OnlyA),
			fmt.Sprintf("%.3g", c.PValue), verdict,
		})
	}
	m.table([]string{"comparison", "accuracy difference", "right only by it",
		"right only by the baseline", "McNemar p (exact, two-sided)", "verdict"}, rows)
	m.printf("McNemar's test looks only at the test images that exactly one of the two "+
		"classifiers gets right: a single run's difference of a few points on %s test "+
		"images is often within chance.\n\n", thousands(cs[0].N))
}

// shirtCounts returns how many Shirt test images c classified right, and
// how many there were, from its confusion matrix.
func shirtCounts(c *nn.ClassifierResult) (k, n int) {
	for _, v := range c.Confusion[shirtClass] {
		n += v
	}
	return c.Confusion[shirtClass][shirtClass], n
}

// kOfN formats k right of n as "8.82% (6 of 68)".
func kOfN(k, n int) string {
	if n == 0 {
		return "— (0 of 0)"
	}
	return fmt.Sprintf("%.2f%% (%d of %d)", 100*float64(k)/float64(n), k, n)
}

func (m *mdWriter) perClass() {
	cs := presentClassifiers(m.r)
	header := []string{"class", "test images"}
	for _, c := range cs {
		header = append(header, c.title)
	}
	var rows [][]string
	for k := range nn.NumClasses {
		n := 0
		for _, v := range cs[0].res.Confusion[k] {
			n += v
		}
		name := className(k)
		if k == shirtClass {
			name = "**" + name + "**"
		}
		row := []string{name, strconv.Itoa(n)}
		for _, c := range cs {
			row = append(row, percent(c.res.PerClass[k]))
		}
		rows = append(rows, row)
	}
	m.printf("### Per-class test accuracy\n\n")
	m.table(header, rows)
	m.image(plotPerClass)
}

// presentClassifiers returns the classifiers that have results.
func presentClassifiers(r *nn.Report) []classifier {
	var cs []classifier
	for _, c := range classifiers(r) {
		if c.res != nil {
			cs = append(cs, c)
		}
	}
	return cs
}

func (m *mdWriter) confusion() {
	m.printf("### Confusion matrices (test split)\n\n")
	m.printf("Rows are the true class, columns the predicted class; the diagonal, in bold, " +
		"counts the images classified right.\n\n")
	header := []string{"true \\ predicted"}
	for k := range nn.NumClasses {
		header = append(header, className(k))
	}
	for _, c := range presentClassifiers(m.r) {
		var rows [][]string
		for t := range nn.NumClasses {
			row := []string{className(t)}
			for p := range nn.NumClasses {
				v := strconv.Itoa(c.res.Confusion[t][p])
				if t == p {
					v = "**" + v + "**"
				}
				row = append(row, v)
			}
			rows = append(rows, row)
		}
		m.printf("#### %s\n\n", c.title)
		m.table(header, rows)
		m.image(confusionPlotName(c.phase))
	}
}

func (m *mdWriter) dae() {
	d := m.r.DAE
	m.printf("### Denoising autoencoder\n\n")
	m.table([]string{"split", "MSE (noisy input, clean target)"}, [][]string{
		{fmt.Sprintf("train (%s images, fixed noise)", thousands(m.r.Config.Splits.UnsupTrain)),
			formatMSE(d.TrainMSE)},
		{fmt.Sprintf("validation (%s images, fixed noise)", thousands(m.r.Config.Splits.UnsupVal)),
			formatMSE(d.ValMSE)},
	})
	m.image(plotDAELoss)
	if _, ok := m.plots[plotSamples]; ok {
		m.printf("Validation images: clean (top row), noisy with σ = %s (middle), "+
			"denoised by the DAE (bottom).\n\n", formatFloat(m.r.Config.Noise))
		m.image(plotSamples)
	}
}

func (m *mdWriter) history() {
	r := m.r
	type phaseHistory struct {
		phase   nn.Phase
		history []nn.EpochStats
	}
	var hs []phaseHistory
	if r.Baseline != nil {
		hs = append(hs, phaseHistory{nn.PhaseBaseline, r.Baseline.History})
	}
	if r.DAE != nil {
		hs = append(hs, phaseHistory{nn.PhaseDAE, r.DAE.History})
	}
	if r.Pretrained != nil {
		hs = append(hs, phaseHistory{nn.PhasePretrained, r.Pretrained.History})
	}
	if r.FineTuned != nil {
		hs = append(hs, phaseHistory{nn.PhaseFineTune, r.FineTuned.History})
	}
	if len(hs) == 0 {
		return
	}
	m.printf("## Training history\n\n")
	m.printf("Train loss and accuracy are running means over each epoch, as Keras " +
		"reports them; validation runs after each epoch. Seconds include validation.\n\n")
	for _, h := range hs {
		m.printf("### %s\n\n", h.phase)
		var rows [][]string
		for _, s := range h.history {
			if h.phase == nn.PhaseDAE {
				rows = append(rows, []string{strconv.Itoa(s.Epoch), formatMSE(s.TrainLoss),
					formatMSE(s.ValLoss), formatSecondsShort(s.Seconds), formatRate(s.ImagesPerSec)})
			} else {
				rows = append(rows, []string{strconv.Itoa(s.Epoch), formatLoss(s.TrainLoss),
					percent(s.TrainAcc), formatLoss(s.ValLoss), percent(s.ValAcc),
					formatSecondsShort(s.Seconds), formatRate(s.ImagesPerSec)})
			}
		}
		if len(rows) == 0 {
			m.printf("No epochs ran.\n\n")
			continue
		}
		if h.phase == nn.PhaseDAE {
			m.table([]string{"epoch", "train MSE", "val MSE", "seconds", "images/s"}, rows)
		} else {
			m.table([]string{"epoch", "train loss", "train acc", "val loss", "val acc",
				"seconds", "images/s"}, rows)
		}
	}
	m.image(plotLoss)
}

func (m *mdWriter) wallTime() {
	r := m.r
	var rows [][]string
	add := func(p nn.Phase, s float64) { rows = append(rows, []string{string(p), formatSeconds(s)}) }
	if r.Baseline != nil {
		add(nn.PhaseBaseline, r.Baseline.Seconds)
	}
	if r.DAE != nil {
		add(nn.PhaseDAE, r.DAE.Seconds)
	}
	if r.Pretrained != nil {
		add(nn.PhasePretrained, r.Pretrained.Seconds)
	}
	if r.FineTuned != nil {
		add(nn.PhaseFineTune, r.FineTuned.Seconds)
	}
	rows = append(rows, []string{"whole run", formatSeconds(r.Seconds)})
	m.printf("## Wall time\n\n")
	m.table([]string{"phase", "wall time"}, rows)
}

// className returns "6 Shirt" for k = 6.
func className(k int) string { return strconv.Itoa(k) + " " + nn.ClassNames[k] }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// percent formats a fraction in [0,1] as a percentage with two decimals.
func percent(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) }

func formatLoss(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

func formatMSE(v float64) string { return strconv.FormatFloat(v, 'f', 5, 64) }

func formatRate(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func formatSecondsShort(s float64) string { return strconv.FormatFloat(s, 'f', 1, 64) }

// formatSeconds formats a wall time in seconds as "12.3 s", adding the
// minutes from a minute on: "754.0 s (12m34s)".
func formatSeconds(s float64) string {
	out := strconv.FormatFloat(s, 'f', 1, 64) + " s"
	if s >= 60 {
		out += " (" + time.Duration(s*float64(time.Second)).Round(time.Second).String() + ")"
	}
	return out
}

// thousands formats n with commas between groups of three digits.
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
