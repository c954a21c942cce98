package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// Tolerances used by the tests.
const (
	tolF64       = 1e-12 // max abs error of float64 results against the reference
	tolF32Rel    = 1e-5  // max error of float32 results relative to the largest reference value
	tolAdjoint   = 1e-10 // relative error of the adjoint identity in float64
	tolFiniteDif = 1e-6  // relative error of central finite differences in float64
	finiteDifH   = 1e-5  // finite-difference step
)

// refPad returns the SAME padding before the input for size n, stride s,
// written out independently of Geom.
func refPad(n, s int) (out, before int) {
	out = n / s
	if n%s != 0 {
		out++
	}
	total := (out-1)*s + 3 - n
	if total < 0 {
		total = 0
	}
	return out, total / 2
}

// refForward is a naive SAME convolution with explicit bounds tests, computed
// in float64.
func refForward(g Geom, x, w, b []float64) []float64 {
	oh, pt := refPad(g.H, g.Stride)
	ow, pl := refPad(g.W, g.Stride)
	y := make([]float64, g.N*oh*ow*g.Cout)
	for n := 0; n < g.N; n++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for co := 0; co < g.Cout; co++ {
					sum := 0.0
					for kh := 0; kh < 3; kh++ {
						for kw := 0; kw < 3; kw++ {
							ih := i*g.Stride + kh - pt
							iw := j*g.Stride + kw - pl
							if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
								continue
							}
							for ci := 0; ci < g.Cin; ci++ {
								sum += x[((n*g.H+ih)*g.W+iw)*g.Cin+ci] * w[((kh*3+kw)*g.Cin+ci)*g.Cout+co]
							}
						}
					}
					if b != nil {
						sum += b[co]
					}
					y[((n*oh+i)*ow+j)*g.Cout+co] = sum
				}
			}
		}
	}
	return y
}

// refBackInput scatters dy back through the kernel with explicit bounds tests.
func refBackInput(g Geom, dy, w []float64) []float64 {
	oh, pt := refPad(g.H, g.Stride)
	ow, pl := refPad(g.W, g.Stride)
	dx := make([]float64, g.N*g.H*g.W*g.Cin)
	for n := 0; n < g.N; n++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for kh := 0; kh < 3; kh++ {
					for kw := 0; kw < 3; kw++ {
						ih := i*g.Stride + kh - pt
						iw := j*g.Stride + kw - pl
						if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
							continue
						}
						for ci := 0; ci < g.Cin; ci++ {
							for co := 0; co < g.Cout; co++ {
								dx[((n*g.H+ih)*g.W+iw)*g.Cin+ci] += dy[((n*oh+i)*ow+j)*g.Cout+co] * w[((kh*3+kw)*g.Cin+ci)*g.Cout+co]
							}
						}
					}
				}
			}
		}
	}
	return dx
}

// refBackFilter computes dw[kh,kw,ci,co] = sum over n,i,j of x*dy and db.
func refBackFilter(g Geom, x, dy []float64) (dw, db []float64) {
	oh, pt := refPad(g.H, g.Stride)
	ow, pl := refPad(g.W, g.Stride)
	dw = make([]float64, 9*g.Cin*g.Cout)
	db = make([]float64, g.Cout)
	for n := 0; n < g.N; n++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for co := 0; co < g.Cout; co++ {
					d := dy[((n*oh+i)*ow+j)*g.Cout+co]
					db[co] += d
					for kh := 0; kh < 3; kh++ {
						for kw := 0; kw < 3; kw++ {
							ih := i*g.Stride + kh - pt
							iw := j*g.Stride + kw - pl
							if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
								continue
							}
							for ci := 0; ci < g.Cin; ci++ {
								dw[((kh*3+kw)*g.Cin+ci)*g.Cout+co] += x[((n*g.H+ih)*g.W+iw)*g.Cin+ci] * d
							}
						}
					}
				}
			}
		}
	}
	return dw, db
}

func randSlice(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = 2*r.Float64() - 1
	}
	return s
}

func toF32(s []float64) []float32 {
	t := make([]float32, len(s))
	for i, v := range s {
		t[i] = float32(v)
	}
	return t
}

func toF64[T Float](s []T) []float64 {
	t := make([]float64, len(s))
	for i, v := range s {
		t[i] = float64(v)
	}
	return t
}

func maxAbs(s []float64) float64 {
	m := 0.0
	for _, v := range s {
		m = max(m, math.Abs(v))
	}
	return m
}

func maxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// testGeoms returns geometries covering both strides, odd and even sizes,
// tiny images and channel counts in {1,2,3,8,16}, rows long enough for the
// widest tiles, plus the DAE layer shapes with a small batch.
func testGeoms() []Geom {
	var gs []Geom
	sizes := [][2]int{{1, 1}, {3, 3}, {5, 4}, {4, 5}, {6, 6}, {7, 7}, {2, 3}}
	chans := [][2]int{{1, 1}, {2, 3}, {3, 2}, {1, 8}, {8, 1}, {8, 8}, {16, 8}, {8, 16}, {16, 16}, {3, 17}, {1, 16}, {16, 1}, {2, 10}}
	for i, hw := range sizes {
		for j, ch := range chans {
			for _, s := range []int{1, 2} {
				n := 1 + 2*((i+j+s)%2) // N in {1, 3}
				gs = append(gs, Geom{N: n, H: hw[0], W: hw[1], Cin: ch[0], Cout: ch[1], Stride: s})
			}
		}
	}
	// Rows long enough for the one-channel kernels' eight-pixel tiles,
	// with and without a remainder.
	gs = append(gs, Geom{N: 2, H: 5, W: 19, Cin: 3, Cout: 1, Stride: 1}, Geom{N: 1, H: 3, W: 8, Cin: 1, Cout: 1, Stride: 1},
		Geom{N: 1, H: 4, W: 17, Cin: 2, Cout: 1, Stride: 2})
	gs = append(gs, daeGeoms(2)...)
	return gs
}

// daeGeoms returns the five convolution shapes of the DAE at batch size n.
// The two transposed convolutions appear as their matching stride-2 convs.
func daeGeoms(n int) []Geom {
	return []Geom{
		{N: n, H: 28, W: 28, Cin: 1, Cout: 16, Stride: 2},
		{N: n, H: 14, W: 14, Cin: 16, Cout: 8, Stride: 2},
		{N: n, H: 14, W: 14, Cin: 8, Cout: 8, Stride: 2},
		{N: n, H: 28, W: 28, Cin: 16, Cout: 8, Stride: 2},
		{N: n, H: 28, W: 28, Cin: 16, Cout: 1, Stride: 1},
	}
}

func geomName(g Geom) string {
	return fmt.Sprintf("N%d_%dx%dx%d_to_%d_s%d", g.N, g.H, g.W, g.Cin, g.Cout, g.Stride)
}

func mustConv[T Float](t testing.TB, g Geom) *Conv[T] {
	t.Helper()
	c, err := NewConv[T](g)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGeom(t *testing.T) {
	tests := []struct {
		g                      Geom
		oh, ow, padTop, padLft int
	}{
		{Geom{1, 28, 28, 1, 1, 1}, 28, 28, 1, 1},
		{Geom{1, 28, 28, 1, 1, 2}, 14, 14, 0, 0},
		{Geom{1, 14, 14, 1, 1, 2}, 7, 7, 0, 0},
		{Geom{1, 7, 5, 1, 1, 2}, 4, 3, 1, 1},
		{Geom{1, 5, 4, 1, 1, 1}, 5, 4, 1, 1},
		{Geom{1, 1, 2, 1, 1, 2}, 1, 1, 1, 0},
	}
	for _, tc := range tests {
		t.Run(geomName(tc.g), func(t *testing.T) {
			g := tc.g
			if g.OutH() != tc.oh || g.OutW() != tc.ow || g.PadTop() != tc.padTop || g.PadLeft() != tc.padLft {
				t.Errorf("got OH=%d OW=%d padTop=%d padLeft=%d, want %d %d %d %d",
					g.OutH(), g.OutW(), g.PadTop(), g.PadLeft(), tc.oh, tc.ow, tc.padTop, tc.padLft)
			}
		})
	}
	for _, bad := range []Geom{{0, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 1}, {1, 3, 3, 1, 1, 3}, {1, 3, 3, -1, 1, 1}} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want error", bad)
		}
		if _, err := NewConv[float64](bad); err == nil {
			t.Errorf("NewConv(%+v) succeeded, want error", bad)
		}
	}
}

func TestForward(t *testing.T) {
	for i, g := range testGeoms() {
		t.Run(geomName(g), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(i)))
			x, w, b := randSlice(r, g.InLen()), randSlice(r, g.WLen()), randSlice(r, g.Cout)
			for _, bias := range [][]float64{nil, b} {
				want := refForward(g, x, w, bias)

				c64 := mustConv[float64](t, g)
				y64 := randSlice(r, g.OutLen()) // garbage: Forward must overwrite
				c64.Forward(y64, x, w, bias, ActNone)
				if d := maxAbsDiff(y64, want); d > tolF64 {
					t.Errorf("float64 bias=%v: max abs diff %g > %g", bias != nil, d, tolF64)
				}

				c32 := mustConv[float32](t, g)
				y32 := toF32(randSlice(r, g.OutLen()))
				var b32 []float32
				if bias != nil {
					b32 = toF32(bias)
				}
				c32.Forward(y32, toF32(x), toF32(w), b32, ActNone)
				if d, s := maxAbsDiff(toF64(y32), want), max(maxAbs(want), 1); d > tolF32Rel*s {
					t.Errorf("float32 bias=%v: max abs diff %g > %g", bias != nil, d, tolF32Rel*s)
				}
			}
		})
	}
}

func TestBackInput(t *testing.T) {
	for i, g := range testGeoms() {
		t.Run(geomName(g), func(t *testing.T) {
			r := rand.New(rand.NewPCG(2, uint64(i)))
			dy, w := randSlice(r, g.OutLen()), randSlice(r, g.WLen())
			want := refBackInput(g, dy, w)

			dx := randSlice(r, g.InLen())
			mustConv[float64](t, g).BackInput(dx, dy, w)
			if d := maxAbsDiff(dx, want); d > tolF64 {
				t.Errorf("float64: max abs diff %g > %g", d, tolF64)
			}

			dx32 := toF32(randSlice(r, g.InLen()))
			mustConv[float32](t, g).BackInput(dx32, toF32(dy), toF32(w))
			if d, s := maxAbsDiff(toF64(dx32), want), max(maxAbs(want), 1); d > tolF32Rel*s {
				t.Errorf("float32: max abs diff %g > %g", d, tolF32Rel*s)
			}
		})
	}
}

// TestAdjoint checks <conv(x), dy> == <x, BackInput(dy)>.
func TestAdjoint(t *testing.T) {
	for i, g := range testGeoms() {
		t.Run(geomName(g), func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, uint64(i)))
			x, dy, w := randSlice(r, g.InLen()), randSlice(r, g.OutLen()), randSlice(r, g.WLen())
			c := mustConv[float64](t, g)
			y := make([]float64, g.OutLen())
			dx := make([]float64, g.InLen())
			c.Forward(y, x, w, nil, ActNone)
			c.BackInput(dx, dy, w)
			lhs, rhs := dot(y, dy), dot(x, dx)
			if e := math.Abs(lhs-rhs) / max(math.Abs(lhs), 1); e > tolAdjoint {
				t.Errorf("<conv(x),dy> = %v, <x,BackInput(dy)> = %v, rel err %g > %g", lhs, rhs, e, tolAdjoint)
			}
		})
	}
}

func TestBackFilter(t *testing.T) {
	for i, g := range testGeoms() {
		t.Run(geomName(g), func(t *testing.T) {
			r := rand.New(rand.NewPCG(4, uint64(i)))
			x, dy := randSlice(r, g.InLen()), randSlice(r, g.OutLen())
			wantW, wantB := refBackFilter(g, x, dy)

			c := mustConv[float64](t, g)
			dw, db := randSlice(r, g.WLen()), randSlice(r, g.Cout)
			c.BackFilter(dw, db, x, dy)
			if d := maxAbsDiff(dw, wantW); d > tolF64 {
				t.Errorf("float64 dw: max abs diff %g > %g", d, tolF64)
			}
			if d := maxAbsDiff(db, wantB); d > tolF64 {
				t.Errorf("float64 db: max abs diff %g > %g", d, tolF64)
			}
			dw2 := randSlice(r, g.WLen())
			c.BackFilter(dw2, nil, x, dy)
			if d := maxAbsDiff(dw2, wantW); d > tolF64 {
				t.Errorf("float64 dw without db: max abs diff %g > %g", d, tolF64)
			}

			c32 := mustConv[float32](t, g)
			dw32, db32 := make([]float32, g.WLen()), make([]float32, g.Cout)
			c32.BackFilter(dw32, db32, toF32(x), toF32(dy))
			if d, s := maxAbsDiff(toF64(dw32), wantW), max(maxAbs(wantW), 1); d > tolF32Rel*s {
				t.Errorf("float32 dw: max abs diff %g > %g", d, tolF32Rel*s)
			}
			if d, s := maxAbsDiff(toF64(db32), wantB), max(maxAbs(wantB), 1); d > tolF32Rel*s {
				t.Errorf("float32 db: max abs diff %g > %g", d, tolF32Rel*s)
			}
		})
	}
}

// TestBackFilterFiniteDiff checks dw and db against central differences of
// L(w, b) = <dy, conv(x, w) + b>.
func TestBackFilterFiniteDiff(t *testing.T) {
	for i, g := range []Geom{{2, 5, 4, 3, 2, 1}, {3, 6, 5, 2, 9, 2}, {1, 4, 4, 16, 1, 1}} {
		t.Run(geomName(g), func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, uint64(i)))
			x, dy := randSlice(r, g.InLen()), randSlice(r, g.OutLen())
			w, b := randSlice(r, g.WLen()), randSlice(r, g.Cout)
			c := mustConv[float64](t, g)
			y := make([]float64, g.OutLen())
			loss := func() float64 {
				c.Forward(y, x, w, b, ActNone)
				return dot(y, dy)
			}
			dw, db := make([]float64, g.WLen()), make([]float64, g.Cout)
			c.BackFilter(dw, db, x, dy)
			check := func(name string, p []float64, grad []float64) {
				for k := range p {
					orig := p[k]
					p[k] = orig + finiteDifH
					lp := loss()
					p[k] = orig - finiteDifH
					lm := loss()
					p[k] = orig
					fd := (lp - lm) / (2 * finiteDifH)
					if e := math.Abs(fd-grad[k]) / max(math.Abs(fd), 1); e > tolFiniteDif {
						t.Errorf("%s[%d]: analytic %v, finite difference %v", name, k, grad[k], fd)
					}
				}
			}
			check("dw", w, dw)
			check("db", b, db)
		})
	}
}

func TestActivations(t *testing.T) {
	g := Geom{N: 3, H: 5, W: 4, Cin: 3, Cout: 10, Stride: 1}
	r := rand.New(rand.NewPCG(6, 0))
	x, w, b := randSlice(r, g.InLen()), randSlice(r, g.WLen()), randSlice(r, g.Cout)
	pre := refForward(g, x, w, b)
	tests := []struct {
		act Act
		f   func(float64) float64 // activation
		df  func(float64) float64 // derivative at pre-activation
	}{
		{ActNone, func(v float64) float64 { return v }, func(float64) float64 { return 1 }},
		{ActReLU, func(v float64) float64 { return max(v, 0) }, func(v float64) float64 {
			if v > 0 {
				return 1
			}
			return 0
		}},
		{ActSigmoid, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }, func(v float64) float64 {
			s := 1 / (1 + math.Exp(-v))
			return s * (1 - s)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.act.String(), func(t *testing.T) {
			c := mustConv[float64](t, g)
			y := make([]float64, g.OutLen())
			c.Forward(y, x, w, b, tc.act)
			dy := randSlice(r, len(y))
			for i, p := range pre {
				if want := tc.f(p); math.Abs(y[i]-want) > tolF64 {
					t.Fatalf("Forward y[%d] = %v, want %v", i, y[i], want)
				}
			}
			dpre := make([]float64, len(y))
			ActBackward(tc.act, dpre, y, dy)
			for i, p := range pre {
				if want := dy[i] * tc.df(p); math.Abs(dpre[i]-want) > tolF64 {
					t.Fatalf("ActBackward dpre[%d] = %v, want %v", i, dpre[i], want)
				}
			}
			// In place: dpre aliases dy.
			alias := append([]float64(nil), dy...)
			ActBackward(tc.act, alias, y, alias)
			if d := maxAbsDiff(alias, dpre); d != 0 {
				t.Errorf("aliased ActBackward differs by %g", d)
			}
			// BiasAct on rows, as used by dense layers.
			z := append([]float64(nil), pre...)
			for i := range z {
				z[i] -= b[i%g.Cout]
			}
			BiasAct(z, b, tc.act)
			if d := maxAbsDiff(z, y); d > tolF64 {
				t.Errorf("BiasAct differs from Forward by %g", d)
			}
		})
	}
}

func TestSumRows(t *testing.T) {
	for _, tc := range []struct{ rows, cols int }{{1, 1}, {7, 3}, {256, 10}} {
		t.Run(fmt.Sprintf("%dx%d", tc.rows, tc.cols), func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(tc.rows)))
			dy := randSlice(r, tc.rows*tc.cols)
			db := randSlice(r, tc.cols)
			SumRows(db, dy)
			for j := range db {
				want := 0.0
				for i := 0; i < tc.rows; i++ {
					want += dy[i*tc.cols+j]
				}
				if db[j] != want {
					t.Errorf("db[%d] = %v, want %v", j, db[j], want)
				}
			}
		})
	}
}

// runAll runs Forward, BackInput and BackFilter with fixed inputs and returns
// their outputs concatenated.
func runAll[T Float](t *testing.T, g Geom) []T {
	r := rand.New(rand.NewPCG(8, 0))
	conv := func(s []float64) []T {
		u := make([]T, len(s))
		for i, v := range s {
			u[i] = T(v)
		}
		return u
	}
	x, w, b := conv(randSlice(r, g.InLen())), conv(randSlice(r, g.WLen())), conv(randSlice(r, g.Cout))
	dy := conv(randSlice(r, g.OutLen()))
	c := mustConv[T](t, g)
	y := make([]T, g.OutLen())
	dx := make([]T, g.InLen())
	dw, db := make([]T, g.WLen()), make([]T, g.Cout)
	c.Forward(y, x, w, b, ActSigmoid)
	c.BackInput(dx, dy, w)
	c.BackFilter(dw, db, x, dy)
	out := append(y, dx...)
	out = append(out, dw...)
	return append(out, db...)
}

func testDeterminism[T Float](t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, g := range append(daeGeoms(37), Geom{N: 20, H: 9, W: 6, Cin: 3, Cout: 11, Stride: 2}) {
		t.Run(geomName(g), func(t *testing.T) {
			runtime.GOMAXPROCS(1)
			one := runAll[T](t, g)
			for _, procs := range []int{4, 8} {
				runtime.GOMAXPROCS(procs)
				many := runAll[T](t, g)
				for i := range one {
					if math.Float64bits(float64(one[i])) != math.Float64bits(float64(many[i])) {
						t.Fatalf("GOMAXPROCS=%d: element %d = %v, GOMAXPROCS=1 gave %v", procs, i, many[i], one[i])
					}
				}
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	t.Run("float32", testDeterminism[float32])
	t.Run("float64", testDeterminism[float64])
}

func TestZeroAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, g := range daeGeoms(3) {
		t.Run(geomName(g), func(t *testing.T) {
			c := mustConv[float32](t, g)
			x, y, w, b := make([]float32, g.InLen()), make([]float32, g.OutLen()), make([]float32, g.WLen()), make([]float32, g.Cout)
			dx, dw, db := make([]float32, g.InLen()), make([]float32, g.WLen()), make([]float32, g.Cout)
			bi := make([]float32, g.Cin)
			for name, f := range map[string]func(){
				"Forward":          func() { c.Forward(y, x, w, b, ActReLU) },
				"BackInput":        func() { c.BackInput(dx, y, w) },
				"BackInputBiasAct": func() { c.BackInputBiasAct(dx, y, w, bi, ActReLU) },
				"ActBackSum":       func() { ActBackwardSum(ActReLU, y, y, y, db) },
				"BackFilter":       func() { c.BackFilter(dw, db, x, y) },
				"ActBack":          func() { ActBackward(ActSigmoid, y, y, y) },
				"BiasAct":          func() { BiasAct(y, b, ActSigmoid) },
				"SumRows":          func() { SumRows(db, y) },
			} {
				if a := testing.AllocsPerRun(5, f); a != 0 {
					t.Errorf("%s: %v allocations per call, want 0", name, a)
				}
			}
		})
	}
}

func TestLengthPanics(t *testing.T) {
	g := Geom{N: 2, H: 4, W: 4, Cin: 2, Cout: 3, Stride: 2}
	c := mustConv[float64](t, g)
	x, y, w := make([]float64, g.InLen()), make([]float64, g.OutLen()), make([]float64, g.WLen())
	for name, f := range map[string]func(){
		"Forward short y":    func() { c.Forward(y[1:], x, w, nil, ActNone) },
		"Forward short b":    func() { c.Forward(y, x, w, make([]float64, 2), ActNone) },
		"BackInput short dx": func() { c.BackInput(x[1:], y, w) },
		"BackFilter long dw": func() { c.BackFilter(append(w, 0), nil, x, y) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}
