package report

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"warmstart/nn"
)

// The plot file names.
const (
	plotValAccuracy = "val_accuracy.png"
	plotLoss        = "loss.png"
	plotDAELoss     = "dae_loss.png"
	plotPerClass    = "per_class.png"
	plotSamples     = "samples.png"
)

// confusionPlotName returns the heat map's file name for a classifier
// phase, such as "confusion_baseline.png".
func confusionPlotName(p nn.Phase) string { return "confusion_" + string(p) + ".png" }

// allPlotNames lists every file name a plot can have, so that [Write] can
// remove those a previous run left in the same directory.
func allPlotNames() []string {
	names := []string{plotValAccuracy, plotLoss, plotDAELoss, plotPerClass, plotSamples}
	for _, p := range []nn.Phase{nn.PhaseBaseline, nn.PhasePretrained, nn.PhaseFineTune} {
		names = append(names, confusionPlotName(p))
	}
	return names
}

// plotFile is one PNG that report.md embeds.
type plotFile struct {
	name string // file name in the report directory
	alt  string // alternative text of the Markdown image
	draw func(w io.Writer) error
}

// plotsFor returns the plots r has data for, in the order report.md shows
// them.
func plotsFor(r *nn.Report) []plotFile {
	var ps []plotFile
	if hasHistory(r.Baseline) || hasHistory(r.Pretrained) || hasHistory(r.FineTuned) {
		ps = append(ps,
			plotFile{plotValAccuracy, "Validation accuracy per epoch",
				func(w io.Writer) error { return drawValAccuracy(w, r) }},
			plotFile{plotLoss, "Train and validation loss per epoch",
				func(w io.Writer) error { return drawLoss(w, r) }})
	}
	if cs := presentClassifiers(r); len(cs) > 0 {
		ps = append(ps, plotFile{plotPerClass, "Per-class test accuracy",
			func(w io.Writer) error { return drawPerClass(w, cs) }})
		for _, c := range cs {
			ps = append(ps, plotFile{confusionPlotName(c.phase), "Confusion matrix, " + c.title,
				func(w io.Writer) error { return drawConfusion(w, c) }})
		}
	}
	if r.DAE != nil && len(r.DAE.History) > 0 {
		ps = append(ps, plotFile{plotDAELoss, "DAE train and validation MSE per epoch",
			func(w io.Writer) error { return drawDAELoss(w, r.DAE) }})
	}
	if r.DAE != nil && r.DAE.Grid.N > 0 {
		ps = append(ps, plotFile{plotSamples, "Clean, noisy and denoised validation images",
			func(w io.Writer) error { return writeSamples(w, r.DAE.Grid, sampleScale) }})
	}
	return ps
}

func hasHistory(c *nn.ClassifierResult) bool { return c != nil && len(c.History) > 0 }

// Plot geometry: 6x4 inches at 150 dots per inch, 900x600 pixels.
const (
	plotW   = 6 * vg.Inch
	plotH   = 4 * vg.Inch
	plotDPI = 150
)

// The colour of each classifier in every plot.
var phaseColor = map[nn.Phase]color.Color{
	nn.PhaseBaseline:   color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	nn.PhasePretrained: color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, // orange
	nn.PhaseFineTune:   color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // green
	nn.PhaseDAE:        color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, // purple
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Add(plotter.NewGrid())
	return p
}

// makeHeadroom raises the top of the y axis by frac of the data's range,
// leaving the legend room above the curves.
func makeHeadroom(p *plot.Plot, frac float64) {
	span := p.Y.Max - p.Y.Min
	if span <= 0 {
		span = math.Abs(p.Y.Max) + 1
	}
	p.Y.Max += frac * span
}

// save renders p as a PNG of w by h inches to out.
func save(out io.Writer, p *plot.Plot, w, h vg.Length) error {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plotDPI))
	p.Draw(draw.New(c))
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(out); err != nil {
		return fmt.Errorf("encode png: %w", err)
	}
	return nil
}

// addLine adds the points to p as a line with markers in colour col,
// dashed when dashed is set, and names it in the legend.
func addLine(p *plot.Plot, name string, pts plotter.XYs, col color.Color, dashed bool) error {
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return fmt.Errorf("plot %s: %w", name, err)
	}
	l.Color = col
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	s.Color = col
	s.Shape = draw.CircleGlyph{}
	s.Radius = vg.Points(2)
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

// classifierSeries is a classifier's history with the epoch offset at
// which it is drawn: fine-tuning continues the pretrained CNN's curve.
type classifierSeries struct {
	name    string
	phase   nn.Phase
	history []nn.EpochStats
	offset  int
}

func classifierSeriesOf(r *nn.Report) []classifierSeries {
	var ss []classifierSeries
	if hasHistory(r.Baseline) {
		ss = append(ss, classifierSeries{"baseline", nn.PhaseBaseline, r.Baseline.History, 0})
	}
	offset := 0
	if hasHistory(r.Pretrained) {
		ss = append(ss, classifierSeries{"pretrained", nn.PhasePretrained, r.Pretrained.History, 0})
		offset = len(r.Pretrained.History)
	}
	if hasHistory(r.FineTuned) {
		ss = append(ss, classifierSeries{"fine-tuned (after pretrained)", nn.PhaseFineTune,
			r.FineTuned.History, offset})
	}
	return ss
}

func epochPoints(s classifierSeries, f func(nn.EpochStats) float64) plotter.XYs {
	pts := make(plotter.XYs, len(s.history))
	for i, e := range s.history {
		pts[i] = plotter.XY{X: float64(s.offset + e.Epoch), Y: f(e)}
	}
	return pts
}

func drawValAccuracy(w io.Writer, r *nn.Report) error {
	p := newPlot("Validation accuracy per epoch", "epoch", "validation accuracy (%)")
	for _, s := range classifierSeriesOf(r) {
		pts := epochPoints(s, func(e nn.EpochStats) float64 { return 100 * e.ValAcc })
		if err := addLine(p, s.name, pts, phaseColor[s.phase], false); err != nil {
			return err
		}
	}
	makeHeadroom(p, 0.25)
	p.X.Tick.Marker = integerTicks{}
	return save(w, p, plotW, plotH)
}

func drawLoss(w io.Writer, r *nn.Report) error {
	p := newPlot("Classifier loss per epoch", "epoch", "cross-entropy")
	for _, s := range classifierSeriesOf(r) {
		train := epochPoints(s, func(e nn.EpochStats) float64 { return e.TrainLoss })
		val := epochPoints(s, func(e nn.EpochStats) float64 { return e.ValLoss })
		if err := addLine(p, s.name+" train", train, phaseColor[s.phase], false); err != nil {
			return err
		}
		if err := addLine(p, s.name+" validation", val, phaseColor[s.phase], true); err != nil {
			return err
		}
	}
	makeHeadroom(p, 0.45)
	p.X.Tick.Marker = integerTicks{}
	return save(w, p, plotW, plotH)
}

func drawDAELoss(w io.Writer, d *nn.DAEResult) error {
	p := newPlot("Denoising autoencoder loss per epoch", "epoch", "pixel-wise MSE")
	s := classifierSeries{history: d.History}
	train := epochPoints(s, func(e nn.EpochStats) float64 { return e.TrainLoss })
	val := epochPoints(s, func(e nn.EpochStats) float64 { return e.ValLoss })
	if err := addLine(p, "train (fresh noise)", train, phaseColor[nn.PhaseDAE], false); err != nil {
		return err
	}
	valColor := phaseColor[nn.PhaseBaseline]
	if err := addLine(p, "validation (fixed noise)", val, valColor, true); err != nil {
		return err
	}
	makeHeadroom(p, 0.2)
	p.X.Tick.Marker = integerTicks{}
	return save(w, p, plotW, plotH)
}

// integerTicks labels whole numbers only, about ten of them, for epoch axes.
type integerTicks struct{}

// Ticks returns the ticks between lo and hi.
func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	step := max(1, math.Ceil((hi-lo)/10))
	var ts []plot.Tick
	for v := math.Ceil(lo); v <= hi; v += step {
		ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f", v)})
	}
	return ts
}

// rotateXLabels tilts the x tick labels so that class names do not overlap.
func rotateXLabels(p *plot.Plot) {
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = text.XRight
	p.X.Tick.Label.YAlign = text.YCenter
}

func drawPerClass(w io.Writer, cs []classifier) error {
	p := newPlot("Per-class test accuracy", "", "test accuracy (%)")

	// A pale band behind the Shirt bars marks the class to watch.
	band, err := plotter.NewPolygon(plotter.XYs{
		{X: shirtClass - 0.5, Y: 0}, {X: shirtClass + 0.5, Y: 0},
		{X: shirtClass + 0.5, Y: 100}, {X: shirtClass - 0.5, Y: 100},
	})
	if err != nil {
		return fmt.Errorf("plot shirt band: %w", err)
	}
	band.Color = color.RGBA{R: 0xff, G: 0xf0, B: 0xa0, A: 0xff}
	band.LineStyle.Width = 0
	p.Add(band)

	barW := vg.Points(9)
	for i, c := range cs {
		vs := make(plotter.Values, nn.NumClasses)
		for k := range vs {
			vs[k] = 100 * c.res.PerClass[k]
		}
		b, err := plotter.NewBarChart(vs, barW)
		if err != nil {
			return fmt.Errorf("plot per-class %s: %w", c.title, err)
		}
		b.Color = phaseColor[c.phase]
		b.LineStyle.Width = 0
		b.Offset = barW * vg.Length(2*i-len(cs)+1) / 2
		p.Add(b)
		p.Legend.Add(c.title, b)
	}
	names := make([]string, nn.NumClasses)
	for k := range names {
		names[k] = nn.ClassNames[k]
	}
	names[shirtClass] = "* Shirt *"
	p.NominalX(names...)
	rotateXLabels(p)
	// The axis runs past 100% to leave the legend room above the bars.
	p.Y.Min, p.Y.Max = 0, 122
	var ticks []plot.Tick
	for v := 0; v <= 100; v += 20 {
		ticks = append(ticks, plot.Tick{Value: float64(v), Label: fmt.Sprint(v)})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	return save(w, p, plotW, plotH)
}

// confusionGrid shows a confusion matrix as a heat map grid, with the
// first class in the top row: grid row r is true class K-1-r.
type confusionGrid struct {
	m *[nn.NumClasses][nn.NumClasses]int
}

func (g confusionGrid) Dims() (c, r int)   { return nn.NumClasses, nn.NumClasses }
func (g confusionGrid) Z(c, r int) float64 { return float64(g.m[nn.NumClasses-1-r][c]) }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }

func drawConfusion(w io.Writer, c classifier) error {
	p := plot.New()
	p.Title.Text = "Confusion matrix, " + c.title + " (test split)"
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.X.Label.Text = "predicted class"
	p.Y.Label.Text = "true class"

	pal, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return fmt.Errorf("plot confusion %s: %w", c.title, err)
	}
	g := confusionGrid{&c.res.Confusion}
	most := 1.0
	for t := range nn.NumClasses {
		for q := range nn.NumClasses {
			most = max(most, float64(c.res.Confusion[t][q]))
		}
	}
	h := plotter.NewHeatMap(g, pal)
	h.Min, h.Max = 0, most
	p.Add(h)

	// Annotate every non-zero cell with its count, white on dark cells.
	var xys plotter.XYs
	var labels []string
	var dark []bool
	for r := range nn.NumClasses {
		for col := range nn.NumClasses {
			v := g.Z(col, r)
			if v == 0 {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(col), Y: float64(r)})
			labels = append(labels, fmt.Sprintf("%.0f", v))
			dark = append(dark, v > most/2)
		}
	}
	if len(xys) > 0 {
		ls, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return fmt.Errorf("plot confusion %s: %w", c.title, err)
		}
		for i := range ls.TextStyle {
			ls.TextStyle[i].XAlign = text.XCenter
			ls.TextStyle[i].YAlign = text.YCenter
			ls.TextStyle[i].Font.Size = vg.Points(8)
			if dark[i] {
				ls.TextStyle[i].Color = color.White
			}
		}
		p.Add(ls)
	}

	xNames := make([]string, nn.NumClasses)
	yNames := make([]string, nn.NumClasses)
	for k := range nn.NumClasses {
		xNames[k] = nn.ClassNames[k]
		yNames[nn.NumClasses-1-k] = nn.ClassNames[k]
	}
	p.NominalX(xNames...)
	p.NominalY(yNames...)
	rotateXLabels(p)
	return save(w, p, 6*vg.Inch, 5.5*vg.Inch)
}
