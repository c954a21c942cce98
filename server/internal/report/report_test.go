package report

import (
	"bytes"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"warmstart/nn"
)

var update = flag.Bool("update", false, "rewrite testdata/report.golden.md")

// fixture returns a hand-made report of a full four-phase run of three
// epochs each. Its numbers are invented; the Shirt counts of the baseline
// and pretrained CNNs are those of the published reference (6 and 22 of
// 68), so the formatting of both columns can be compared.
func fixture() *nn.Report {
	cfg := nn.DefaultConfig()
	cfg.Seed = 7
	cfg.Baseline.Epochs, cfg.DAE.Epochs, cfg.Pretrained.Epochs, cfg.FineTune.Epochs = 3, 3, 3, 2
	r := &nn.Report{
		Provenance: nn.Provenance{
			Module:      "warmstart@(devel)",
			VCSRevision: "0123456789abcdef0123456789abcdef01234567",
			VCSTime:     "2025-01-02T03:00:00Z",
			VCSModified: true,
			GoVersion:   "go1.26.8",
			GOOS:        "linux",
			GOARCH:      "amd64",
			Build:       map[string]string{"GOAMD64": "v1", "CGO_ENABLED": "1", "-compiler": "gc"},
			CPU:         "Test CPU @ 3.00GHz",
			NumCPU:      2,
			Threads:     2,
			Seed:        7,
			Started:     time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		},
		Config:            cfg,
		EncoderPretrained: true,
		Seconds:           754.25,
	}
	r.Baseline = classifierFixture(nn.PhaseBaseline, 3, 0.70, [nn.NumClasses]int{50, 57, 40, 48, 42, 55, 6, 52, 56, 54})
	r.Pretrained = classifierFixture(nn.PhasePretrained, 3, 0.72, [nn.NumClasses]int{49, 56, 44, 47, 45, 54, 22, 53, 57, 55})
	r.FineTuned = classifierFixture(nn.PhaseFineTune, 2, 0.74, [nn.NumClasses]int{51, 57, 45, 48, 46, 55, 25, 53, 57, 55})
	r.Comparisons = []nn.Comparison{
		{APhase: nn.PhaseBaseline, BPhase: nn.PhasePretrained, N: 608, OnlyA: 10, OnlyB: 32, AccDiff: 22.0 / 608, PValue: 0.00093},
		{APhase: nn.PhaseBaseline, BPhase: nn.PhaseFineTune, N: 608, OnlyA: 20, OnlyB: 23, AccDiff: 3.0 / 608, PValue: 0.76},
	}
	r.DAE = &nn.DAEResult{
		History: []nn.EpochStats{
			{Epoch: 1, TrainLoss: 0.0412, ValLoss: 0.0251, Seconds: 95.5, ImagesPerSec: 612},
			{Epoch: 2, TrainLoss: 0.0233, ValLoss: 0.0212, Seconds: 94.25, ImagesPerSec: 620},
			{Epoch: 3, TrainLoss: 0.0207, ValLoss: 0.0199, Seconds: 94, ImagesPerSec: 621},
		},
		Seconds:  283.75,
		TrainMSE: 0.019812,
		ValMSE:   0.019934,
		Grid:     gridFixture(10),
	}
	return r
}

// classifierFixture makes a classifier result whose test split has 60
// images of every class but Shirt, which has 68, and right[k] of class k
// classified right; the wrong ones go to the next two classes.
func classifierFixture(p nn.Phase, epochs int, val float64, right [nn.NumClasses]int) *nn.ClassifierResult {
	c := &nn.ClassifierResult{Phase: p, Seconds: 30.5 * float64(epochs)}
	for e := 1; e <= epochs; e++ {
		f := float64(e) / float64(epochs)
		c.History = append(c.History, nn.EpochStats{
			Epoch: e, TrainLoss: 1.9 - 0.9*f, TrainAcc: 0.4 + 0.3*f,
			ValLoss: 1.7 - 0.8*f, ValAcc: val - 0.2 + 0.2*f,
			Seconds: 30.5, ImagesPerSec: 1800 / 30.5,
		})
	}
	correct, total := 0, 0
	for k := range nn.NumClasses {
		n := 60
		if k == shirtClass {
			n = 68
		}
		wrong := n - right[k]
		c.Confusion[k][k] = right[k]
		c.Confusion[k][(k+1)%nn.NumClasses] = wrong / 2
		c.Confusion[k][(k+2)%nn.NumClasses] = wrong - wrong/2
		c.PerClass[k] = float64(right[k]) / float64(n)
		correct += right[k]
		total += n
		for range n {
			c.Predictions = append(c.Predictions, uint8(k))
		}
	}
	c.Train = nn.Eval{Loss: 0.8, Accuracy: val + 0.03, N: 1800}
	c.Val = nn.Eval{Loss: 0.85, Accuracy: val, N: 600}
	c.Test = nn.Eval{Loss: 0.83, Accuracy: float64(correct) / float64(total), N: total}
	return c
}

// gridFixture makes n images of diagonal stripes; the noisy row strays
// outside [0,1] to exercise clamping.
func gridFixture(n int) nn.SampleGrid {
	g := nn.SampleGrid{N: n, Rows: 28, Cols: 28}
	for k := range n {
		for y := range 28 {
			for x := range 28 {
				v := float32((x+y+k)%28) / 27
				g.Clean = append(g.Clean, v)
				g.Noisy = append(g.Noisy, 1.4*v-0.2)
				g.Denoised = append(g.Denoised, 0.9*v)
			}
		}
	}
	return g
}

func TestMarkdownTables(t *testing.T) {
	md := Markdown(fixture())
	for _, want := range []string{
		"| metric | baseline | pretrained | fine-tuned | reference baseline | reference pretrained |",
		"| train accuracy | 73.00% | 75.00% | 77.00% | 72.09% | 75.77% |",
		"| validation accuracy | 70.00% | 72.00% | 74.00% | 70.33% | 72.17% |",
		"| test accuracy | 75.66% | 79.28% | 80.92% | 75.33% | 74.50% |",
		"| Shirt (class 6) test accuracy | 8.82% (6 of 68) | 32.35% (22 of 68) | 36.76% (25 of 68) | 8.82% (6 of 68) | 32.35% (22 of 68) |",
		"| **6 Shirt** | 68 | 8.82% | 32.35% | 36.76% |",
		"| 6 Shirt | 0 | 0 | 0 | 0 | 0 | 0 | **6** | 31 | 31 | 0 |",
		"| validation (3,000 images, fixed noise) | 0.01993 |",
		"| 2 | 0.02330 | 0.02120 | 94.2 | 620 |",
		"| 3 | 1.0000 | 70.00% | 0.9000 | 70.00% | 30.5 | 59 |",
		"The baseline gets no extra epochs: fine-tuning trains the pretrained CNN 2 more epochs",
		"| revision | 0123456789abcdef0123456789abcdef01234567 (dirty: uncommitted changes), committed 2025-01-02T03:00:00Z |",
		"| build settings | `-compiler=gc`, `CGO_ENABLED=1`, `GOAMD64=v1` |",
		"| whole run | 754.2 s (12m34s) |",
		"![Validation accuracy per epoch](val_accuracy.png)",
		"![Confusion matrix, fine-tuned](confusion_finetune.png)",
		"![Clean, noisy and denoised validation images](samples.png)",
		"| pretrained vs baseline | +3.62 points | 32 | 10 | 0.00093 | significant at 5% |",
		"| finetune vs baseline | +0.49 points | 23 | 20 | 0.76 | no significant difference |",
		"**This run's settings differ from the reference design** (baseline: 3 epochs, batch 256, lr 0.001 (published: 10, 256, 0.001);",
		"These settings differ from the published design's",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	for _, bad := range []string{"NOT pretrained", "interrupted"} {
		if strings.Contains(md, bad) {
			t.Errorf("report.md of a complete, pretrained run says %q", bad)
		}
	}
}

// TestMarkdownPublishedSettings: a run with the published settings (any
// seed) gets no warning that the reference columns do not apply.
func TestMarkdownPublishedSettings(t *testing.T) {
	r := fixture()
	r.Config = nn.DefaultConfig()
	r.Config.Seed = 9
	if md := Markdown(r); strings.Contains(md, "settings differ") || strings.Contains(md, "differ from the published") {
		t.Error("a run with the published settings is said to differ from them")
	}
}

// TestMarkdownSettingsNoteWithoutClassifiers: a DAE-only run with its own
// settings says so too, though it has no reference columns.
func TestMarkdownSettingsNoteWithoutClassifiers(t *testing.T) {
	r := fixture()
	r.Baseline, r.Pretrained, r.FineTuned, r.Comparisons = nil, nil, nil, nil
	r.Config.Phases = []nn.Phase{nn.PhaseDAE}
	r.Config.DAE.Epochs = 1
	if md := Markdown(r); !strings.Contains(md, "These settings differ from the published design's") ||
		!strings.Contains(md, "dae: 1 epoch, batch") {
		t.Error("a DAE-only run with 1 epoch does not say its settings differ from the published ones")
	}
}

func TestMarkdownNotPretrainedWarning(t *testing.T) {
	r := fixture()
	r.EncoderPretrained = false
	if md := Markdown(r); !strings.Contains(md, "**Warning: the encoder was NOT pretrained.**") {
		t.Errorf("no warning that the encoder was not pretrained:\n%s", md[:400])
	}
	r.Pretrained, r.FineTuned = nil, nil // the pretrained phase did not run
	if md := Markdown(r); strings.Contains(md, "NOT pretrained") {
		t.Errorf("warning about an encoder no classifier used")
	}
}

func TestMarkdownInterrupted(t *testing.T) {
	r := fixture()
	r.Interrupted = true
	r.Error = "context canceled"
	r.Pretrained, r.FineTuned = nil, nil
	md := Markdown(r)
	if !strings.HasPrefix(md, "# warmstart experiment report\n\n> **Warning: this run was interrupted.**") {
		t.Errorf("interrupted warning is not at the top:\n%s", md[:300])
	}
	if !strings.Contains(md, "> Error: `context canceled`") {
		t.Errorf("the error is not reported")
	}
	if !strings.Contains(md, "| test accuracy | 75.66% | — | 75.33% | 74.50% |") {
		t.Errorf("the missing pretrained column is not marked with a dash")
	}
}

func TestKOfN(t *testing.T) {
	tests := []struct {
		k, n int
		want string
	}{
		{6, 68, "8.82% (6 of 68)"},
		{22, 68, "32.35% (22 of 68)"},
		{60, 60, "100.00% (60 of 60)"},
		{0, 0, "— (0 of 0)"},
	}
	for _, tc := range tests {
		if got := kOfN(tc.k, tc.n); got != tc.want {
			t.Errorf("kOfN(%d, %d): got %q, want %q", tc.k, tc.n, got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 600: "600", 1800: "1,800", 57000: "57,000",
		1234567: "1,234,567", -3000: "-3,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d): got %q, want %q", n, got, want)
		}
	}
}

func TestGolden(t *testing.T) {
	const golden = "testdata/report.golden.md"
	got := Markdown(fixture())
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./server/internal/report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("report.md differs from %s; run with -update if the change is intended.\ngot:\n%s",
			golden, got)
	}
}

// linkRe matches the relative image links of report.md.
var linkRe = regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	r := fixture()
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}

	// Every plot exists and decodes as a PNG of sensible size.
	sizes := map[string][2]int{
		plotValAccuracy: {900, 600}, plotLoss: {900, 600}, plotDAELoss: {900, 600},
		plotPerClass: {900, 600}, "confusion_baseline.png": {900, 825},
		"confusion_pretrained.png": {900, 825}, "confusion_finetune.png": {900, 825},
		// 10 images of 28*4 pixels with 4-pixel gaps, in 3 rows.
		plotSamples: {10*(28*4+4) + 4, 3*(28*4+4) + 4},
	}
	for name, want := range sizes {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != want[0] || b.Dy() != want[1] {
			t.Errorf("%s: got %dx%d, want %dx%d", name, b.Dx(), b.Dy(), want[0], want[1])
		}
	}

	// report.md is Markdown(r), and every image it links is there.
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if string(md) != Markdown(r) {
		t.Errorf("report.md on disk differs from Markdown(r)")
	}
	var linked []string
	for _, m := range linkRe.FindAllStringSubmatch(string(md), -1) {
		linked = append(linked, m[1])
	}
	slices.Sort(linked)
	var drawn []string
	for name := range sizes {
		drawn = append(drawn, name)
	}
	slices.Sort(drawn)
	if !slices.Equal(linked, drawn) {
		t.Errorf("report.md links %v, want %v", linked, drawn)
	}

	// results.json round-trips to an equal report.
	f, err := os.Open(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := ReadResults(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("results.json does not round-trip:\ngot  %+v\nwant %+v", back, r)
	}
}

func TestWriteSkipsMissingPhases(t *testing.T) {
	full := fixture()
	tests := []struct {
		name string
		edit func(r *nn.Report)
		want []string // files written
	}{
		{"dae only", func(r *nn.Report) {
			r.Config.Phases = []nn.Phase{nn.PhaseDAE}
			r.Baseline, r.Pretrained, r.FineTuned = nil, nil, nil
		}, []string{MarkdownFile, ResultsFile, plotDAELoss, plotSamples}},
		{"baseline only", func(r *nn.Report) {
			r.Config.Phases = []nn.Phase{nn.PhaseBaseline}
			r.DAE, r.Pretrained, r.FineTuned = nil, nil, nil
		}, []string{MarkdownFile, ResultsFile, "confusion_baseline.png", plotLoss,
			plotPerClass, plotValAccuracy}},
		{"interrupted before anything finished", func(r *nn.Report) {
			r.Interrupted = true
			r.Baseline, r.DAE, r.Pretrained, r.FineTuned = nil, nil, nil, nil
		}, []string{MarkdownFile, ResultsFile}},
		{"dae of 0 epochs, no grid", func(r *nn.Report) {
			r.EncoderPretrained = false
			r.DAE.History, r.DAE.Grid = nil, nn.SampleGrid{}
			r.FineTuned = nil
		}, []string{MarkdownFile, ResultsFile, "confusion_baseline.png",
			"confusion_pretrained.png", plotLoss, plotPerClass, plotValAccuracy}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// A full report first, so that stale plots must be removed.
			if err := Write(dir, full); err != nil {
				t.Fatal(err)
			}
			r := fixture()
			tc.edit(r)
			if err := Write(dir, r); err != nil {
				t.Fatal(err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("got files %v, want %v", got, want)
			}
			md, _ := os.ReadFile(filepath.Join(dir, MarkdownFile))
			for _, m := range linkRe.FindAllStringSubmatch(string(md), -1) {
				if !slices.Contains(want, m[1]) {
					t.Errorf("report.md links %s, which was not drawn", m[1])
				}
			}
		})
	}
}

func TestSampleImageClamps(t *testing.T) {
	g := nn.SampleGrid{N: 1, Rows: 1, Cols: 3,
		Clean:    []float32{0, 0.5, 1},
		Noisy:    []float32{-0.5, 1.5, float32(0.25)},
		Denoised: []float32{0.2, 0.4, 0.6}}
	img, err := sampleImage(g, 1)
	if err != nil {
		t.Fatal(err)
	}
	at := func(row, x int) uint8 {
		return img.GrayAt(sampleGap+x, sampleGap+row*(1+sampleGap)).Y
	}
	tests := []struct {
		row, x int
		want   uint8
	}{
		{0, 0, 0}, {0, 1, 128}, {0, 2, 255},
		{1, 0, 0}, {1, 1, 255}, {1, 2, 64},
		{2, 0, 51}, {2, 1, 102}, {2, 2, 153},
	}
	for _, tc := range tests {
		if got := at(tc.row, tc.x); got != tc.want {
			t.Errorf("row %d pixel %d: got %d, want %d", tc.row, tc.x, got, tc.want)
		}
	}

	g.Denoised = g.Denoised[:2]
	if _, err := sampleImage(g, 1); err == nil {
		t.Errorf("a grid with a short denoised row gave no error")
	}
}

func TestReadResultsRejectsOtherJSON(t *testing.T) {
	if _, err := ReadResults(bytes.NewReader([]byte(`{"hello": 1}`))); err == nil {
		t.Errorf("a JSON document that is not a report was accepted")
	}
}
