package app

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// This file draws the line charts as SVG markup. The functions are pure
// (numbers in, a string out), so they are tested natively; the page puts
// their output into the document with go-app's Raw. Colours come from CSS
// classes (web/app.css), so the charts follow the light or dark theme, and
// every chart carries a <title> and a <desc> that says its numbers in words
// for screen readers.

// linearScale maps the data interval [D0, D1] onto the pixel interval
// [R0, R1]; R1 < R0 is allowed (an SVG y axis grows downwards).
type linearScale struct {
	D0, D1 float64
	R0, R1 float64
}

// at returns the pixel position of v. A degenerate domain (D0 == D1) maps
// everything to the middle of the range.
func (s linearScale) at(v float64) float64 {
	if s.D1 == s.D0 {
		return (s.R0 + s.R1) / 2
	}
	return s.R0 + (v-s.D0)/(s.D1-s.D0)*(s.R1-s.R0)
}

// niceStep returns a round step (1, 2 or 5 times a power of ten) that cuts
// span into about n intervals.
func niceStep(span float64, n int) float64 {
	if !(span > 0) || n < 1 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / mag; {
	case f < 1.5:
		return mag
	case f < 3:
		return 2 * mag
	case f < 7:
		return 5 * mag
	default:
		return 10 * mag
	}
}

// niceTicks returns round tick values that cover [lo, hi]: the first tick
// is at or below lo, the last at or above hi, and about n intervals lie
// between them, each a step of 1, 2 or 5 times a power of ten. A
// degenerate interval is widened by one unit on each side first.
func niceTicks(lo, hi float64, n int) []float64 {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return []float64{0, 1}
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	if lo == hi {
		lo, hi = lo-1, hi+1
	}
	step := niceStep(hi-lo, n)
	start := math.Floor(lo/step+1e-9) * step
	end := math.Ceil(hi/step-1e-9) * step
	var ticks []float64
	for i := 0; ; i++ {
		v := start + float64(i)*step
		if v > end+step/2 || i > 100 {
			break
		}
		// Round away the drift of repeated addition (0.30000000000000004).
		ticks = append(ticks, roundTo(v, step))
	}
	return ticks
}

// integerTicks returns the integer ticks of niceTicks, at least one unit
// apart, for axes that count epochs.
func integerTicks(lo, hi float64, n int) []float64 {
	t := niceTicks(lo, hi, n)
	if len(t) > 1 && t[1]-t[0] >= 1 {
		return t
	}
	var out []float64
	for v := math.Floor(lo); v <= math.Ceil(hi); v++ {
		out = append(out, v)
	}
	return out
}

// roundTo rounds v to the decimals that step needs.
func roundTo(v, step float64) float64 {
	d := decimals(step)
	p := math.Pow(10, float64(d))
	return math.Round(v*p) / p
}

// decimals returns how many decimals print step exactly (0 for 5, 1 for
// 0.5, 2 for 0.02).
func decimals(step float64) int {
	d := 0
	for d < 10 && math.Abs(step*math.Pow(10, float64(d))-math.Round(step*math.Pow(10, float64(d)))) > 1e-9 {
		d++
	}
	return d
}

// tickLabel formats tick v with the decimals of step.
func tickLabel(v, step float64) string {
	return strconv.FormatFloat(v, 'f', decimals(step), 64)
}

// series is one line of a chart.
type series struct {
	Name   string    // in the legend and the description
	Class  string    // CSS class giving the colour, such as "c-baseline"
	Dashed bool      // validation lines are dashed, training lines solid
	X, Y   []float64 // the points, X increasing; NaN Y values are skipped
}

// lineChart describes a chart of one or more series against a shared x
// axis.
type lineChart struct {
	ID             string // unique in the page: the <title> and <desc> ids derive from it
	Title          string
	XLabel, YLabel string
	Series         []series
	// YMin and YMax fix the y domain when YFixed is set (accuracy from 0
	// to 100); otherwise the domain is fitted to the data.
	YFixed     bool
	YMin, YMax float64
	// XInt asks for integer x ticks (epochs).
	XInt bool
	// Unit follows each y value in the description, such as "%".
	Unit string
}

// The chart geometry, in SVG user units: the viewBox is chartW x chartH
// and the plot area is inset by the margins, leaving room for tick labels,
// axis titles and the legend.
const (
	chartW       = 480
	chartH       = 300
	marginLeft   = 64
	marginRight  = 14
	marginTop    = 38
	marginBottom = 52
)

// svg returns the chart as an <svg> element. A chart without points shows
// its axes and a "waiting for the first epoch" note.
func (c lineChart) svg() string {
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	points := 0
	for _, s := range c.Series {
		for i := range s.X {
			if i >= len(s.Y) || !finite(s.Y[i]) || !finite(s.X[i]) {
				continue
			}
			xlo, xhi = math.Min(xlo, s.X[i]), math.Max(xhi, s.X[i])
			ylo, yhi = math.Min(ylo, s.Y[i]), math.Max(yhi, s.Y[i])
			points++
		}
	}
	if points == 0 {
		xlo, xhi, ylo, yhi = 1, 10, 0, 1
	}
	if c.XInt && xlo == xhi {
		xlo, xhi = xlo-1, xhi+1
		if xlo < 0 {
			xlo, xhi = 0, xhi+1
		}
	}
	if c.YFixed {
		ylo, yhi = c.YMin, c.YMax
	}

	var xt []float64
	if c.XInt {
		xt = integerTicks(xlo, xhi, 6)
	} else {
		xt = niceTicks(xlo, xhi, 6)
	}
	yt := niceTicks(ylo, yhi, 5)
	if c.YFixed {
		yt = ticksWithin(yt, c.YMin, c.YMax)
	}
	x := linearScale{xt[0], xt[len(xt)-1], marginLeft, chartW - marginRight}
	y := linearScale{yt[0], yt[len(yt)-1], chartH - marginBottom, marginTop}

	var b strings.Builder
	titleID, descID := c.ID+"-title", c.ID+"-desc"
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s %s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, titleID, descID)
	fmt.Fprintf(&b, `<title id="%s">%s</title>`, titleID, esc(c.Title))
	fmt.Fprintf(&b, `<desc id="%s">%s</desc>`, descID, esc(c.description(points)))

	// Grid lines and tick labels.
	xstep, ystep := tickStep(xt), tickStep(yt)
	b.WriteString(`<g class="grid">`)
	for _, v := range yt {
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, f1(x.R0), f1(x.R1), f1(y.at(v)), f1(y.at(v)))
	}
	for _, v := range xt {
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, f1(x.at(v)), f1(x.at(v)), f1(y.R0), f1(y.R1))
	}
	b.WriteString(`</g><g class="axis">`)
	fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, f1(x.R0), f1(x.R1), f1(y.R0), f1(y.R0))
	fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, f1(x.R0), f1(x.R0), f1(y.R0), f1(y.R1))
	for _, v := range yt {
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`,
			f1(x.R0-6), f1(y.at(v)), tickLabel(v, ystep))
	}
	for _, v := range xt {
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`,
			f1(x.at(v)), f1(y.R0+18), tickLabel(v, xstep))
	}
	fmt.Fprintf(&b, `<text class="label" x="%s" y="%d" text-anchor="middle">%s</text>`,
		f1((x.R0+x.R1)/2), chartH-8, esc(c.XLabel))
	fmt.Fprintf(&b, `<text class="label" transform="translate(16 %s) rotate(-90)" text-anchor="middle">%s</text>`,
		f1((y.R0+y.R1)/2), esc(c.YLabel))
	b.WriteString(`</g>`)

	// The lines, each with a dot per point so that a single epoch shows.
	for _, s := range c.Series {
		var path strings.Builder
		pen := "M"
		for i := range s.X {
			if i >= len(s.Y) || !finite(s.Y[i]) {
				pen = "M"
				continue
			}
			fmt.Fprintf(&path, "%s%s %s", pen, f1(x.at(s.X[i])), f1(y.at(clamp(s.Y[i], y.D0, y.D1))))
			pen = "L"
		}
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<g class="series %s">`, esc(s.Class))
		if path.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s" fill="none"%s/>`, path.String(), dash)
		}
		for i := range s.X {
			if i < len(s.Y) && finite(s.Y[i]) {
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2.5"/>`, f1(x.at(s.X[i])), f1(y.at(clamp(s.Y[i], y.D0, y.D1))))
			}
		}
		b.WriteString(`</g>`)
	}

	// The legend, in one row above the plot area.
	lx := float64(marginLeft)
	for _, s := range c.Series {
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<g class="series %s legend"><line x1="%s" x2="%s" y1="16" y2="16"%s/>`,
			esc(s.Class), f1(lx), f1(lx+24), dash)
		fmt.Fprintf(&b, `<text x="%s" y="16" dominant-baseline="middle">%s</text></g>`, f1(lx+29), esc(s.Name))
		lx += 29 + 7.5*float64(len([]rune(s.Name))) + 18
	}
	if points == 0 {
		fmt.Fprintf(&b, `<text class="note" x="%s" y="%s" text-anchor="middle">waiting for the first epoch</text>`,
			f1((x.R0+x.R1)/2), f1((y.R0+y.R1)/2))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// description says the chart's numbers in words: its axes and, for each
// series, every point.
func (c lineChart) description(points int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s against %s.", c.YLabel, c.XLabel)
	if points == 0 {
		b.WriteString(" No data yet.")
		return b.String()
	}
	for _, s := range c.Series {
		fmt.Fprintf(&b, " %s:", s.Name)
		sep := " "
		for i := range s.X {
			if i < len(s.Y) && finite(s.Y[i]) {
				fmt.Fprintf(&b, "%s%s %s, %s%s", sep, strings.ToLower(c.XLabel), fmtNum(s.X[i]), fmtNum(s.Y[i]), c.Unit)
				sep = "; "
			}
		}
		b.WriteString(".")
	}
	return b.String()
}

// ticksWithin keeps the ticks inside [lo, hi], and lo and hi themselves.
func ticksWithin(t []float64, lo, hi float64) []float64 {
	var out []float64
	for _, v := range t {
		if v >= lo-1e-9 && v <= hi+1e-9 {
			out = append(out, v)
		}
	}
	if len(out) == 0 || out[0] > lo {
		out = append([]float64{lo}, out...)
	}
	if out[len(out)-1] < hi {
		out = append(out, hi)
	}
	return out
}

func tickStep(t []float64) float64 {
	if len(t) < 2 {
		return 1
	}
	return t[1] - t[0]
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func clamp(v, lo, hi float64) float64 {
	if lo > hi {
		lo, hi = hi, lo
	}
	return math.Max(lo, math.Min(hi, v))
}

// f1 formats an SVG coordinate with one decimal, enough at any zoom for
// a viewBox of a few hundred units.
func f1(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// fmtNum formats a data value for people: up to four significant digits.
func fmtNum(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// esc escapes text for SVG markup.
func esc(s string) string { return html.EscapeString(s) }
