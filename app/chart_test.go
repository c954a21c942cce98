package app

import (
	"encoding/xml"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		n      int
		want   []float64
	}{
		{"unit interval", 0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{"accuracy", 36.5, 74.2, 5, []float64{30, 40, 50, 60, 70, 80}},
		{"loss", 2.167, 2.259, 5, []float64{2.16, 2.18, 2.2, 2.22, 2.24, 2.26}},
		{"MSE", 0.0104, 0.0153, 5, []float64{0.01, 0.011, 0.012, 0.013, 0.014, 0.015, 0.016}},
		{"epochs", 1, 10, 6, []float64{0, 2, 4, 6, 8, 10}},
		{"reversed", 10, 1, 6, []float64{0, 2, 4, 6, 8, 10}},
		{"one value", 5, 5, 5, []float64{4, 4.5, 5, 5.5, 6}},
		{"NaN", math.NaN(), 1, 5, []float64{0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := niceTicks(tc.lo, tc.hi, tc.n)
			if !slices.Equal(got, tc.want) {
				t.Errorf("niceTicks(%v, %v, %d) = %v, want %v", tc.lo, tc.hi, tc.n, got, tc.want)
			}
		})
	}
}

func TestNiceTicksCover(t *testing.T) {
	// Whatever the interval, the ticks cover it with round, even steps.
	for _, iv := range [][2]float64{{0.013, 0.87}, {-3.2, 7.9}, {1e-6, 3e-6}, {100, 100.5}, {0, 1234}} {
		ticks := niceTicks(iv[0], iv[1], 5)
		if ticks[0] > iv[0] || ticks[len(ticks)-1] < iv[1] {
			t.Errorf("ticks %v do not cover [%v, %v]", ticks, iv[0], iv[1])
		}
		if len(ticks) < 3 || len(ticks) > 12 {
			t.Errorf("ticks %v for [%v, %v]: want 3 to 12", ticks, iv[0], iv[1])
		}
		step := ticks[1] - ticks[0]
		mant := step / math.Pow(10, math.Floor(math.Log10(step)))
		if m := math.Round(mant*1e6) / 1e6; m != 1 && m != 2 && m != 5 && m != 10 {
			t.Errorf("step %v of %v is not 1, 2 or 5 times a power of ten", step, ticks)
		}
	}
}

func TestIntegerTicks(t *testing.T) {
	if got, want := integerTicks(1, 2, 6), []float64{1, 2}; !slices.Equal(got, want) {
		t.Errorf("integerTicks(1, 2) = %v, want %v", got, want)
	}
	for _, v := range integerTicks(1, 3, 6) {
		if v != math.Trunc(v) {
			t.Errorf("integerTicks(1, 3) has %v", v)
		}
	}
}

func TestLinearScale(t *testing.T) {
	y := linearScale{D0: 0, D1: 100, R0: 250, R1: 50} // SVG y grows downwards
	for _, tc := range []struct{ v, want float64 }{{0, 250}, {100, 50}, {50, 150}, {25, 200}} {
		if got := y.at(tc.v); got != tc.want {
			t.Errorf("at(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
	if got := (linearScale{D0: 3, D1: 3, R0: 0, R1: 10}).at(3); got != 5 {
		t.Errorf("degenerate domain: at(3) = %v, want 5", got)
	}
}

func TestTickLabel(t *testing.T) {
	for _, tc := range []struct {
		v, step float64
		want    string
	}{{0.2, 0.2, "0.2"}, {2.26, 0.02, "2.26"}, {40, 10, "40"}, {0.011, 0.001, "0.011"}, {0.30000000000000004, 0.1, "0.3"}} {
		if got := tickLabel(tc.v, tc.step); got != tc.want {
			t.Errorf("tickLabel(%v, %v) = %q, want %q", tc.v, tc.step, got, tc.want)
		}
	}
}

// sampleChart is a two-series accuracy chart such as the page draws.
func sampleChart() lineChart {
	return lineChart{
		ID: "t", Title: "Baseline CNN: accuracy per epoch", XLabel: "Epoch", YLabel: "Accuracy (%)",
		XInt: true, Unit: "%",
		Series: []series{
			{Name: "train", Class: "c-baseline", X: []float64{1, 2, 3}, Y: []float64{40, 55.5, 61.25}},
			{Name: "validation", Class: "c-baseline", Dashed: true, X: []float64{1, 2, 3}, Y: []float64{38, math.NaN(), 60}},
		},
	}
}

// parseSVG checks that s is well-formed XML with an <svg> root.
func parseSVG(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	first := true
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return
			}
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
		if se, ok := tok.(xml.StartElement); ok && first {
			if se.Name.Local != "svg" {
				t.Fatalf("root element is <%s>, want <svg>", se.Name.Local)
			}
			first = false
		}
	}
}

func TestLineChartSVG(t *testing.T) {
	s := sampleChart().svg()
	parseSVG(t, s)
	for _, want := range []string{
		`role="img"`,
		`aria-labelledby="t-title t-desc"`,
		`<title id="t-title">Baseline CNN: accuracy per epoch</title>`,
		`<desc id="t-desc">`,
		"train: epoch 1, 40%; epoch 2, 55.5%; epoch 3, 61.25%.", // the text alternative carries every point
		"validation: epoch 1, 38%; epoch 3, 60%.",               // and skips a missing one
		`stroke-dasharray="6 4"`,                                // validation is dashed
		`class="series c-baseline"`,                             // colour comes from CSS
		`>Accuracy (%)</text>`,                                  // labelled axes
		`>Epoch</text>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
		t.Errorf("chart has a NaN or Inf coordinate:\n%s", s)
	}
	// The NaN point breaks the validation line into two moves, never a
	// line through the gap.
	if n := strings.Count(s, `<path d="M`); n != 2 {
		t.Errorf("%d paths, want 2", n)
	}
	if strings.Contains(s, "waiting for the first epoch") {
		t.Error("a chart with points says it is waiting")
	}
}

func TestLineChartEmpty(t *testing.T) {
	c := sampleChart()
	for i := range c.Series {
		c.Series[i].X, c.Series[i].Y = nil, nil
	}
	s := c.svg()
	parseSVG(t, s)
	if !strings.Contains(s, "waiting for the first epoch") || !strings.Contains(s, "No data yet.") {
		t.Errorf("empty chart does not say so:\n%s", s)
	}
}

func TestLineChartFixedDomain(t *testing.T) {
	c := sampleChart()
	c.YFixed, c.YMin, c.YMax = true, 0, 100
	s := c.svg()
	// The y ticks run exactly from 0 to 100.
	if !strings.Contains(s, `dominant-baseline="middle">0</text>`) || !strings.Contains(s, `dominant-baseline="middle">100</text>`) {
		t.Errorf("fixed domain does not show 0 and 100:\n%s", s)
	}
}
