package app

import (
	"fmt"
	"math"
	"strings"

	"warmstart/nn/spec"
)

// shirtClass is the label of Fashion-MNIST's Shirt, the class the
// experiment watches most closely: it is the one the published run got
// almost always wrong from scratch.
const shirtClass = 6

// blues is ColorBrewer's sequential "Blues" scheme (9 classes), light to
// dark; heat map cells interpolate along it.
var blues = [...][3]float64{
	{247, 251, 255}, {222, 235, 247}, {198, 219, 239}, {158, 202, 225},
	{107, 174, 214}, {66, 146, 198}, {33, 113, 181}, {8, 81, 156}, {8, 48, 107},
}

// heatColor returns the colour of a cell holding fraction t of its row
// (0 to 1), and whether text on it should be light.
func heatColor(t float64) (fill string, lightText bool) {
	t = clamp(t, 0, 1)
	pos := t * float64(len(blues)-1)
	i := int(math.Floor(pos))
	if i >= len(blues)-1 {
		i = len(blues) - 2
	}
	f := pos - float64(i)
	var c [3]int
	for k := range c {
		c[k] = int(math.Round(blues[i][k]*(1-f) + blues[i+1][k]*f))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2]), t > 0.45
}

// confusionSVG draws a confusion matrix as a heat map: one row per true
// class, one column per predicted class, each cell coloured by its share
// of the row (the per-class recall on the diagonal) and labelled with its
// count. The diagonal is outlined and the Shirt row is marked.
func confusionSVG(id, title string, m *[spec.NumClasses][spec.NumClasses]int) string {
	const (
		cell   = 34
		left   = 92 // room for the row labels
		top    = 86 // room for the rotated column labels
		right  = 10
		bottom = 30
	)
	k := spec.NumClasses
	w, h := left+k*cell+right, top+k*cell+bottom

	var b strings.Builder
	titleID, descID := id+"-title", id+"-desc"
	fmt.Fprintf(&b, `<svg class="chart heatmap" viewBox="0 0 %d %d" role="img" aria-labelledby="%s %s" xmlns="http://www.w3.org/2000/svg">`,
		w, h, titleID, descID)
	fmt.Fprintf(&b, `<title id="%s">%s</title>`, titleID, esc(title))
	fmt.Fprintf(&b, `<desc id="%s">%s</desc>`, descID, esc(confusionDesc(m)))

	for t := range k {
		rowSum := 0
		for p := range k {
			rowSum += m[t][p]
		}
		cls := "tick"
		if t == shirtClass {
			cls = "tick shirt"
			fmt.Fprintf(&b, `<rect class="shirt-band" x="0" y="%d" width="%d" height="%d"/>`, top+t*cell, w-right, cell)
		}
		fmt.Fprintf(&b, `<text class="%s" x="%d" y="%d" text-anchor="end" dominant-baseline="middle">%s</text>`,
			cls, left-6, top+t*cell+cell/2, esc(spec.ClassNames[t]))
		for p := range k {
			n := m[t][p]
			frac := 0.0
			if rowSum > 0 {
				frac = float64(n) / float64(rowSum)
			}
			fill, light := heatColor(frac)
			x, y := left+p*cell, top+t*cell
			fmt.Fprintf(&b, `<rect class="cell" x="%d" y="%d" width="%d" height="%d" fill="%s"><title>true %s, predicted %s: %d (%.0f%% of the row)</title></rect>`,
				x, y, cell, cell, fill, esc(spec.ClassNames[t]), esc(spec.ClassNames[p]), n, 100*frac)
			tc := "dark"
			if light {
				tc = "light"
			}
			if n > 0 {
				fmt.Fprintf(&b, `<text class="count %s" x="%d" y="%d" text-anchor="middle" dominant-baseline="middle">%d</text>`,
					tc, x+cell/2, y+cell/2, n)
			}
		}
	}
	for i := range k {
		fmt.Fprintf(&b, `<rect class="diag" x="%d" y="%d" width="%d" height="%d" fill="none"/>`,
			left+i*cell, top+i*cell, cell, cell)
	}
	for p := range k {
		cls := "tick"
		if p == shirtClass {
			cls = "tick shirt"
		}
		fmt.Fprintf(&b, `<text class="%s" transform="translate(%d %d) rotate(-55)" text-anchor="start">%s</text>`,
			cls, left+p*cell+cell/2, top-6, esc(spec.ClassNames[p]))
	}
	fmt.Fprintf(&b, `<text class="label" x="%d" y="%d" text-anchor="middle">predicted class (columns); rows: true class</text>`,
		left+k*cell/2, h-8)
	b.WriteString(`</svg>`)
	return b.String()
}

// confusionDesc says, for each true class, how many test images there were,
// how many were right and the most frequent wrong prediction.
func confusionDesc(m *[spec.NumClasses][spec.NumClasses]int) string {
	var b strings.Builder
	b.WriteString("Rows are true classes, columns predicted classes.")
	for t := range spec.NumClasses {
		sum, worst, worstN := 0, -1, 0
		for p := range spec.NumClasses {
			sum += m[t][p]
			if p != t && m[t][p] > worstN {
				worst, worstN = p, m[t][p]
			}
		}
		fmt.Fprintf(&b, " %s: %d of %d right", spec.ClassNames[t], m[t][t], sum)
		if worst >= 0 {
			fmt.Fprintf(&b, ", most often mistaken for %s (%d)", spec.ClassNames[worst], worstN)
		}
		b.WriteString(".")
	}
	return b.String()
}

// barGroup is one classifier's per-class accuracies, in [0, 1].
type barGroup struct {
	Name  string
	Class string // CSS colour class
	Acc   [spec.NumClasses]float64
}

// perClassSVG draws horizontal bars of per-class test accuracy, one group
// of bars per class and one bar per classifier. The Shirt group sits on a
// highlighted band with a bold label, so it is easy to find.
func perClassSVG(id string, groups []barGroup) string {
	const (
		left  = 112
		right = 50
		top   = 34
		barH  = 11
		gap   = 9
		width = 640
	)
	k := spec.NumClasses
	groupH := len(groups)*barH + gap
	h := top + k*groupH + 40
	x := linearScale{0, 100, left, width - right}

	var b strings.Builder
	titleID, descID := id+"-title", id+"-desc"
	fmt.Fprintf(&b, `<svg class="chart bars" viewBox="0 0 %d %d" role="img" aria-labelledby="%s %s" xmlns="http://www.w3.org/2000/svg">`,
		width, h, titleID, descID)
	fmt.Fprintf(&b, `<title id="%s">Per-class test accuracy</title>`, titleID)
	fmt.Fprintf(&b, `<desc id="%s">%s</desc>`, descID, esc(perClassDesc(groups)))

	// The Shirt band goes first, under everything else.
	fmt.Fprintf(&b, `<rect class="shirt-band" x="0" y="%d" width="%d" height="%d"/>`,
		top+shirtClass*groupH-gap/2, width, groupH)
	b.WriteString(`<g class="grid">`)
	for _, v := range []float64{0, 25, 50, 75, 100} {
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%d" y2="%d"/>`, f1(x.at(v)), f1(x.at(v)), top-4, top+k*groupH-gap/2)
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%d" text-anchor="middle">%g%%</text>`, f1(x.at(v)), top+k*groupH+12, v)
	}
	b.WriteString(`</g>`)
	for c := range k {
		y0 := top + c*groupH
		cls := "tick"
		name := spec.ClassNames[c]
		if c == shirtClass {
			cls = "tick shirt"
			name = "★ " + name
		}
		fmt.Fprintf(&b, `<text class="%s" x="%d" y="%d" text-anchor="end" dominant-baseline="middle">%s</text>`,
			cls, left-6, y0+len(groups)*barH/2, esc(name))
		for g, grp := range groups {
			v := 100 * clamp(grp.Acc[c], 0, 1)
			y := y0 + g*barH
			fmt.Fprintf(&b, `<g class="series %s"><rect class="bar" x="%d" y="%d" width="%s" height="%d"><title>%s, %s: %.1f%%</title></rect>`,
				esc(grp.Class), left, y, f1(x.at(v)-left), barH-1, esc(grp.Name), esc(spec.ClassNames[c]), v)
			fmt.Fprintf(&b, `<text class="value" x="%s" y="%s" dominant-baseline="middle">%.1f</text></g>`,
				f1(x.at(v)+3), f1(float64(y)+float64(barH-1)/2), v)
		}
	}
	lx := float64(left)
	for _, grp := range groups {
		fmt.Fprintf(&b, `<g class="series %s legend"><rect class="bar" x="%s" y="8" width="14" height="12"/>`, esc(grp.Class), f1(lx))
		fmt.Fprintf(&b, `<text x="%s" y="14" dominant-baseline="middle">%s</text></g>`, f1(lx+19), esc(grp.Name))
		lx += 19 + 7.5*float64(len([]rune(grp.Name))) + 20
	}
	fmt.Fprintf(&b, `<text class="label" x="%s" y="%d" text-anchor="middle">test accuracy per class (%%)</text>`,
		f1((x.R0+x.R1)/2), h-4)
	b.WriteString(`</svg>`)
	return b.String()
}

func perClassDesc(groups []barGroup) string {
	var b strings.Builder
	b.WriteString("Test accuracy of each class, in percent.")
	for c := range spec.NumClasses {
		fmt.Fprintf(&b, " %s:", spec.ClassNames[c])
		for i, g := range groups {
			sep := ","
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(&b, "%s %s %.1f", sep, g.Name, 100*g.Acc[c])
		}
		b.WriteString(".")
	}
	return b.String()
}
