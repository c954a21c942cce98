package prep

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
)

// The prepared input's size, Fashion-MNIST's.
const (
	Side      = 28
	NumPixels = Side * Side
)

// workMax is the longest side of the grid that Prepare analyses: a larger
// picture is first averaged down by an integer factor, so that a 50
// megapixel photo costs one pass over its pixels and a few MB.
const workMax = 1024

// Input is a picture prepared for the classifiers, with what a preview
// needs to show how it was made.
type Input struct {
	// Pixels are the 28 x 28 input, row-major, in [0, 1]: a light garment
	// on a black background, as Fashion-MNIST stores its images.
	Pixels []float32
	// Gray is Pixels as 8-bit gray levels, for a preview.
	Gray []uint8
	// Inverted is true when the picture was dark on light (ink on paper,
	// a product photo on white) and was inverted.
	Inverted bool
	// Background is the background level found along the picture's
	// border, as luma in [0, 1] before any inversion.
	Background float64
	// Contrast is how far the garment stands out from the background,
	// in the same units (1 for black on white).
	Contrast float64
	// Box is the garment's bounding box in the picture's coordinates,
	// to within the analysis grid (pictures over 1024 pixels on a side
	// are analysed at a reduced size).
	Box image.Rectangle
}

// Prepare turns a drawing or a photo of one garment into the input the
// classifiers take, as the Fashion-MNIST images were made: the garment
// light on black, trimmed to its bounding box, resized so that its
// longest edge is 28 pixels (keeping its aspect) and centred on a 28 x 28
// canvas. The steps:
//
//  1. Gray levels: luma (BT.601, as image/color's Gray), each pixel's
//     alpha composited over a background that contrasts with the opaque
//     content (white behind dark strokes, black behind light ones), so a
//     drawing on a transparent canvas works.
//  2. Background: the median of the outer 2% of the picture, its noise
//     from the median absolute deviation there.
//  3. Polarity: whichever of "darker than the background" and "lighter
//     than the background" holds more mass (beyond the noise) is the
//     garment; a dark-on-light picture is inverted. The background level
//     is subtracted, so gray paper becomes black and not 0.2.
//  4. Bounding box: the pixels above 30% of the garment's level (its
//     99th percentile), with 0.2% of them trimmed from each side so that
//     specks of dust or noise do not stretch the box.
//  5. Resize: area averaging (box filter) when shrinking, so that thin
//     lines survive as gray rather than vanish; bilinear when enlarging.
//  6. Levels: the resized noise floor is cut and the garment's 90th
//     percentile is mapped to 1.
//
// The background must show along most of the picture's border, and be
// roughly even: a photo cropped into the garment, or lit very unevenly,
// is not read correctly. A picture with nothing on it (uniform, or
// nearly: contrast under 8%) gives an error wrapping [ErrBlank]; one
// over DefaultLimits.MaxPixels, an error wrapping [ErrTooLarge].
func Prepare(img image.Image) (*Input, error) { return prepare(img, options{}) }

// options switch steps of Prepare off, for tests that show what the
// steps are for.
type options struct {
	// plainInversion inverts without removing the background level:
	// the fault of case C06 that leaves gray paper at 0.2.
	plainInversion bool
}

func prepare(img image.Image, opt options) (*Input, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, fmt.Errorf("%w: the picture is empty (0 pixels)", ErrBlank)
	}
	g, err := newGrid(img)
	if err != nil {
		return nil, err
	}
	gray, err := g.composite()
	if err != nil {
		return nil, err
	}
	in := &Input{}
	bg, sigma := g.borderStats(gray)
	in.Background = bg

	// Polarity: the side of the background with more mass beyond the noise.
	margin := max(3*sigma, 0.02)
	var light, dark float64
	for _, v := range gray {
		d := float64(v) - bg
		if d > margin {
			light += d - margin
		} else if -d > margin {
			dark += -d - margin
		}
	}
	in.Inverted = dark > light
	if opt.plainInversion {
		bg = 0
		if in.Inverted {
			bg = 1
		}
	}
	s := gray // reused in place: s is the garment's signal, positive
	for i, v := range gray {
		d := float64(v) - bg
		if in.Inverted {
			d = -d
		}
		s[i] = float32(d)
	}

	peak, count := highQuantile(s, margin, 0.99)
	in.Contrast = peak
	minCount := max(3, g.w*g.h/50000)
	if count < minCount || peak < minContrast {
		if count == 0 {
			return nil, fmt.Errorf("%w: the picture is blank (uniform, level %.2f)", ErrBlank, bg)
		}
		return nil, fmt.Errorf("%w: the picture is blank or nearly (contrast %.0f%%, at least %.0f%% needed)",
			ErrBlank, 100*peak, 100*minContrast)
	}
	box := g.garmentBox(s, max(margin, 0.3*peak))
	in.Box = g.sourceRect(box)

	r, scale := resample(s, g.w, box)
	// Averaging scale x scale cells divides independent noise by scale.
	floor := 3 * sigma / max(1, scale)
	hi := garmentLevel(r)
	if hi-floor < 1e-6 {
		return nil, fmt.Errorf("%w: the picture is blank or nearly (contrast %.0f%%)", ErrBlank, 100*peak)
	}
	in.Pixels = make([]float32, NumPixels)
	in.Gray = make([]uint8, NumPixels)
	for i, v := range r {
		p := min(max((float64(v)-floor)/(hi-floor), 0), 1)
		in.Pixels[i] = float32(p)
		in.Gray[i] = uint8(math.Round(255 * p))
	}
	return in, nil
}

// minContrast is the least garment level, above the background, that
// Prepare accepts: below it a picture is taken as blank.
const minContrast = 0.08

// grid is a picture reduced to at most workMax cells on a side, each the
// mean of f x f pixels: premultiplied luma and alpha, both in [0, 1].
type grid struct {
	w, h        int
	f           int
	origin      image.Point // the picture's Bounds().Min
	srcW, srcH  int         // the picture's size
	la, alpha   []float32
	transparent bool // some alpha is below 1
}

func newGrid(img image.Image) (*grid, error) {
	if o, ok := img.(*oriented); ok {
		g, err := newGrid(o.src)
		if err != nil {
			return nil, err
		}
		return g.orient(o.o), nil
	}
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	if int64(W) > DefaultLimits.MaxPixels/int64(H) {
		return nil, DefaultLimits.checkSize(W, H)
	}
	f := (max(W, H) + workMax - 1) / workMax
	g := &grid{w: (W + f - 1) / f, h: (H + f - 1) / f, f: f, origin: b.Min, srcW: W, srcH: H}
	n := g.w * g.h
	sumL := make([]float64, n) // luma × alpha
	sumA := make([]float64, n) // alpha; unused for opaque types
	lumaScale, alphaScale := 1.0/255, 1.0/255
	opaque := true
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < H; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:W]
			cells := sumL[(y/f)*g.w:]
			for x, v := range row {
				cells[x/f] += float64(v)
			}
		}
	case *image.YCbCr:
		for y := 0; y < H; y++ {
			row := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:W]
			cells := sumL[(y/f)*g.w:]
			for x, v := range row {
				cells[x/f] += float64(v)
			}
		}
	case *image.NRGBA:
		opaque = false
		lumaScale = 1.0 / (255 * 255)
		for y := 0; y < H; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*W]
			cl, ca := sumL[(y/f)*g.w:], sumA[(y/f)*g.w:]
			for x := 0; x < W; x++ {
				p := row[4*x : 4*x+4 : 4*x+4]
				a := uint32(p[3])
				cl[x/f] += float64(luma8(p[0], p[1], p[2]) * a)
				ca[x/f] += float64(a)
			}
		}
	case *image.RGBA: // premultiplied: the luma of the stored values is luma × alpha
		opaque = false
		for y := 0; y < H; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*W]
			cl, ca := sumL[(y/f)*g.w:], sumA[(y/f)*g.w:]
			for x := 0; x < W; x++ {
				p := row[4*x : 4*x+4 : 4*x+4]
				cl[x/f] += float64(luma8(p[0], p[1], p[2]))
				ca[x/f] += float64(p[3])
			}
		}
	default: // any other type, through its colour model: 16-bit premultiplied
		opaque = false
		lumaScale, alphaScale = 1.0/65535, 1.0/65535
		for y := 0; y < H; y++ {
			cl, ca := sumL[(y/f)*g.w:], sumA[(y/f)*g.w:]
			for x := 0; x < W; x++ {
				r, gg, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				cl[x/f] += float64((19595*r + 38470*gg + 7471*bb + 1<<15) >> 16)
				ca[x/f] += float64(a)
			}
		}
	}
	g.la, g.alpha = make([]float32, n), make([]float32, n)
	for cy := 0; cy < g.h; cy++ {
		ch := min(f, H-cy*f)
		for cx := 0; cx < g.w; cx++ {
			cnt := float64(ch * min(f, W-cx*f))
			i := cy*g.w + cx
			g.la[i] = float32(sumL[i] * lumaScale / cnt)
			a := float32(1)
			if !opaque {
				a = float32(sumA[i] * alphaScale / cnt)
			}
			g.alpha[i] = a
			if a < 0.99 {
				g.transparent = true
			}
		}
	}
	return g, nil
}

// luma8 is image/color's gray conversion (BT.601 weights) of 8-bit RGB.
func luma8(r, g, b uint8) uint32 {
	return (19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16
}

// orient returns the grid of the picture shown with EXIF orientation o.
func (g *grid) orient(o int) *grid {
	w, h := orientedSize(g.w, g.h, o)
	sw, sh := orientedSize(g.srcW, g.srcH, o)
	out := &grid{w: w, h: h, f: g.f, srcW: sw, srcH: sh, transparent: g.transparent,
		la: make([]float32, w*h), alpha: make([]float32, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := orientSource(x, y, g.w, g.h, o)
			out.la[y*w+x] = g.la[sy*g.w+sx]
			out.alpha[y*w+x] = g.alpha[sy*g.w+sx]
		}
	}
	return out
}

// composite returns the gray level of every cell: opaque pictures as
// they are; pictures with transparency over white when their content is
// dark on average, over black when it is light.
func (g *grid) composite() ([]float32, error) {
	gray := make([]float32, len(g.la))
	if !g.transparent {
		copy(gray, g.la)
		return gray, nil
	}
	var sl, sa float64
	for i, a := range g.alpha {
		sl += float64(g.la[i])
		sa += float64(a)
	}
	if sa < 1e-3*float64(len(g.alpha)) {
		return nil, fmt.Errorf("%w: the picture is blank (fully transparent)", ErrBlank)
	}
	back := float32(0)
	if sl/sa < 0.5 {
		back = 1
	}
	for i, a := range g.alpha {
		gray[i] = g.la[i] + (1-a)*back
	}
	return gray, nil
}

// borderStats returns the median of the outer 2% of the grid (at least
// one cell wide) and a robust estimate of its noise: 1.4826 times the
// median absolute deviation, the standard deviation for Gaussian noise.
func (g *grid) borderStats(gray []float32) (median, sigma float64) {
	bw := max(1, min(g.w, g.h)/50)
	var ring []float32
	for y := 0; y < g.h; y++ {
		edgeRow := y < bw || y >= g.h-bw
		for x := 0; x < g.w; x++ {
			if edgeRow || x < bw || x >= g.w-bw {
				ring = append(ring, gray[y*g.w+x])
			}
		}
	}
	slices.Sort(ring)
	median = float64(ring[len(ring)/2])
	for i, v := range ring {
		ring[i] = float32(math.Abs(float64(v) - median))
	}
	slices.Sort(ring)
	return median, 1.4826 * float64(ring[len(ring)/2])
}

// highQuantile returns the q-quantile of the values of s above floor,
// and how many there are, from a histogram of [0, 1] in 4096 bins.
func highQuantile(s []float32, floor, q float64) (float64, int) {
	const bins = 4096
	var hist [bins]int
	n := 0
	for _, v := range s {
		if float64(v) > floor {
			hist[min(int(v*bins), bins-1)]++
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	want := int(math.Ceil(q * float64(n)))
	cum := 0
	for i, c := range hist {
		cum += c
		if cum >= want {
			return (float64(i) + 0.5) / bins, n
		}
	}
	return 1, n
}

// garmentBox returns the bounding box, in cells, of the cells of s above
// thr, with trimFraction of them left out on each side.
func (g *grid) garmentBox(s []float32, thr float64) image.Rectangle {
	cols, rows := make([]int, g.w), make([]int, g.h)
	total := 0
	for y := 0; y < g.h; y++ {
		for x, v := range s[y*g.w : (y+1)*g.w] {
			if float64(v) > thr {
				cols[x]++
				rows[y]++
				total++
			}
		}
	}
	k := int(trimFraction * float64(total))
	x0, x1 := trimmedSpan(cols, k)
	y0, y1 := trimmedSpan(rows, k)
	return image.Rect(x0, y0, x1, y1)
}

// trimFraction of the garment's cells may lie outside its bounding box on
// each side: enough to ignore specks, too little to cut a garment.
const trimFraction = 0.002

// trimmedSpan returns [lo, hi) such that at most k of the counts' mass
// lies before lo and at most k after hi, the span as narrow as that allows.
func trimmedSpan(counts []int, k int) (lo, hi int) {
	cum := 0
	for lo = 0; lo < len(counts); lo++ {
		if cum += counts[lo]; cum > k {
			break
		}
	}
	cum = 0
	for hi = len(counts); hi > lo+1; hi-- {
		if cum += counts[hi-1]; cum > k {
			break
		}
	}
	return lo, hi
}

// sourceRect maps a rectangle of cells to the picture's coordinates.
func (g *grid) sourceRect(r image.Rectangle) image.Rectangle {
	r = image.Rect(r.Min.X*g.f, r.Min.Y*g.f, r.Max.X*g.f, r.Max.Y*g.f)
	return r.Intersect(image.Rect(0, 0, g.srcW, g.srcH)).Add(g.origin)
}

// resample maps the box of s (a grid w cells wide) onto the 28 x 28
// output: its longest edge becomes 28 pixels, the other keeps the aspect,
// and it is centred. Outside the box the output is 0. It returns the
// output and the scale, in cells per output pixel.
func resample(s []float32, w int, box image.Rectangle) ([]float32, float64) {
	bw, bh := box.Dx(), box.Dy()
	scale := float64(max(bw, bh)) / Side
	offX := (Side - float64(bw)/scale) / 2 // output pixels before the box
	offY := (Side - float64(bh)/scale) / 2
	wx := weights(box.Min.X, box.Max.X, scale, offX)
	wy := weights(box.Min.Y, box.Max.Y, scale, offY)

	// Columns first, over the box's rows only, then rows.
	tmp := make([]float64, bh*Side)
	for y := 0; y < bh; y++ {
		row := s[(box.Min.Y+y)*w:]
		for j, taps := range wx {
			var acc float64
			for _, t := range taps {
				acc += t.w * float64(row[t.i])
			}
			tmp[y*Side+j] = acc
		}
	}
	out := make([]float32, NumPixels)
	for i, taps := range wy {
		for j := 0; j < Side; j++ {
			var acc float64
			for _, t := range taps {
				acc += t.w * tmp[(t.i-box.Min.Y)*Side+j]
			}
			out[i*Side+j] = float32(acc)
		}
	}
	return out, scale
}

type tap struct {
	i int
	w float64
}

// weights returns, for each of the Side output pixels, the source cells
// in [lo, hi) it takes and their weights, when output pixel o starts at
// source position lo + (o - off)·scale. Shrinking (scale ≥ 1) averages
// the area each output pixel covers; enlarging interpolates linearly.
// Source outside [lo, hi) counts as 0, so a pixel half over the edge
// gets half the value.
func weights(lo, hi int, scale, off float64) [][]tap {
	out := make([][]tap, Side)
	for o := range out {
		if scale >= 1 {
			a := float64(lo) + (float64(o)-off)*scale
			b := a + scale
			for k := max(lo, int(math.Floor(a))); k < min(hi, int(math.Ceil(b))); k++ {
				if ov := min(b, float64(k+1)) - max(a, float64(k)); ov > 0 {
					out[o] = append(out[o], tap{k, ov / scale})
				}
			}
			continue
		}
		c := float64(lo) + (float64(o)+0.5-off)*scale - 0.5
		k := int(math.Floor(c))
		t := c - float64(k)
		if k >= lo && k < hi {
			out[o] = append(out[o], tap{k, 1 - t})
		}
		if k+1 >= lo && k+1 < hi {
			out[o] = append(out[o], tap{k + 1, t})
		}
	}
	return out
}

// garmentLevel returns the level that becomes 1: the 90th percentile of
// the output pixels at 30% of the maximum or more, that is, of the
// garment without its anti-aliased edge.
func garmentLevel(r []float32) float64 {
	top := slices.Max(r)
	if top <= 0 {
		return 0
	}
	var vals []float32
	for _, v := range r {
		if v >= 0.3*top {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	return float64(vals[min(len(vals)-1, int(0.9*float64(len(vals))))])
}

// ASCII draws the input as 28 lines of 56 characters (two per pixel, so
// that it looks square in a terminal), darker characters for brighter
// pixels: " .:-=+*#%@".
func (in *Input) ASCII() string {
	const ramp = " .:-=+*#%@"
	var b strings.Builder
	b.Grow(Side * (2*Side + 1))
	for y := 0; y < Side; y++ {
		for x := 0; x < Side; x++ {
			c := ramp[min(int(in.Pixels[y*Side+x]*float32(len(ramp))), len(ramp)-1)]
			b.WriteByte(c)
			b.WriteByte(c)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
