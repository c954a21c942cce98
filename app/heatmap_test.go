package app

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"warmstart/nn/spec"
)

// sampleConfusion is a confusion matrix of 600 test images, 60 per class,
// with most errors in the Shirt row as in the experiment.
func sampleConfusion() [spec.NumClasses][spec.NumClasses]int {
	var m [spec.NumClasses][spec.NumClasses]int
	for t := range spec.NumClasses {
		m[t][t] = 50
		m[t][(t+1)%spec.NumClasses] = 10
	}
	m[shirtClass] = [spec.NumClasses]int{20, 0, 10, 0, 6, 0, 24, 0, 0, 0}
	return m
}

func TestHeatColor(t *testing.T) {
	lo, loLight := heatColor(0)
	hi, hiLight := heatColor(1)
	if lo != "#f7fbff" || hi != "#08306b" {
		t.Errorf("heatColor(0), heatColor(1) = %s, %s; want the ends of Blues, #f7fbff and #08306b", lo, hi)
	}
	if loLight || !hiLight {
		t.Errorf("text on the lightest cell light = %v, on the darkest %v; want dark then light", loLight, hiLight)
	}
	if c, _ := heatColor(-3); c != lo {
		t.Errorf("heatColor(-3) = %s, want it clamped to %s", c, lo)
	}
	if c, _ := heatColor(7); c != hi {
		t.Errorf("heatColor(7) = %s, want it clamped to %s", c, hi)
	}
}

func TestConfusionSVG(t *testing.T) {
	m := sampleConfusion()
	s := confusionSVG("conf-x", "Confusion matrix of the baseline CNN", &m)
	parseSVG(t, s)
	if n := strings.Count(s, `class="cell"`); n != 100 {
		t.Errorf("%d cells, want 100", n)
	}
	if n := strings.Count(s, `class="diag"`); n != 10 {
		t.Errorf("%d diagonal outlines, want 10", n)
	}
	// Every non-zero count is written in its cell.
	counts := regexp.MustCompile(`class="count (?:light|dark)"[^>]*>(\d+)</text>`).FindAllStringSubmatch(s, -1)
	sum := 0
	for _, c := range counts {
		n, _ := strconv.Atoi(c[1])
		sum += n
	}
	if sum != 600 {
		t.Errorf("the cells' numbers add up to %d, want 600", sum)
	}
	// The Shirt row is marked, its label bold, and the text alternative
	// says how it did.
	if n := strings.Count(s, `class="shirt-band"`); n != 1 {
		t.Errorf("%d Shirt bands, want 1", n)
	}
	if !strings.Contains(s, `class="tick shirt" x="86"`) {
		t.Errorf("the Shirt row label is not marked:\n%s", s)
	}
	if !strings.Contains(s, "Shirt: 24 of 60 right, most often mistaken for T-shirt/top (20).") {
		t.Errorf("description does not summarise the Shirt row:\n%s", s)
	}
	// A full row is dark blue with light text; an empty cell has no number.
	if !strings.Contains(s, `fill="#f7fbff"`) {
		t.Error("no empty (lightest) cell")
	}
}

func TestPerClassSVGHighlightsShirt(t *testing.T) {
	var a, b [spec.NumClasses]float64
	for k := range a {
		a[k], b[k] = 0.8, 0.7
	}
	a[shirtClass], b[shirtClass] = 0.088, 0.3235
	s := perClassSVG("pc", []barGroup{{"baseline", "c-baseline", a}, {"pretrained", "c-pretrained", b}})
	parseSVG(t, s)
	if n := strings.Count(s, `class="tick shirt"`); n != 1 {
		t.Errorf("%d highlighted class labels, want exactly 1 (Shirt)", n)
	}
	if !strings.Contains(s, `>★ Shirt</text>`) {
		t.Error("the Shirt label has no star")
	}
	if n := strings.Count(s, `class="bar"`); n != 2*spec.NumClasses+2 { // bars, and the legend's two swatches
		t.Errorf("%d bars, want %d", n, 2*spec.NumClasses+2)
	}
	// The band lies behind the Shirt group: its y is the group's top minus
	// half the gap.
	band := regexp.MustCompile(`class="shirt-band" x="0" y="(\d+)"`).FindStringSubmatch(s)
	label := regexp.MustCompile(`class="tick shirt" x="\d+" y="(\d+)"`).FindStringSubmatch(s)
	if band == nil || label == nil {
		t.Fatalf("no band or no label:\n%s", s)
	}
	by, _ := strconv.Atoi(band[1])
	ly, _ := strconv.Atoi(label[1])
	if ly < by || ly > by+2*11+9 {
		t.Errorf("Shirt label at y=%d is outside its band starting at y=%d", ly, by)
	}
	if !strings.Contains(s, "Shirt: baseline 8.8, pretrained 32.4.") {
		t.Errorf("description lacks the Shirt numbers:\n%s", s)
	}
}
