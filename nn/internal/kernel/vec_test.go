package kernel

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestVectorPlan checks that in a build with the vector kernels, on a CPU
// with AVX2 and FMA, every DAE layer shape uses them for float32 and none
// uses them for float64.
func TestVectorPlan(t *testing.T) {
	if !vectorBuild {
		if vectorEnabled {
			t.Fatal("vectorEnabled is true in a build without vector kernels")
		}
		t.Skip("build without vector kernels")
	}
	if !vectorEnabled {
		t.Skip("CPU lacks AVX2 or FMA")
	}
	want := []vecPlan{
		{fwd8: true, bwf8: true},                   // 1 -> 16
		{fwd8: true, bwiScatter: true, bwf8: true}, // 16 -> 8
		{fwd8: true, bwiScatter: true, bwf8: true}, // 8 -> 8
		{fwd8: true, bwiScatter: true, bwf8: true}, // 16 -> 8
		{fwd1: true, bwiGather: true, bwf1: true},  // 16 -> 1, stride 1
	}
	for i, g := range daeGeoms(4) {
		c32 := mustConv[float32](t, g)
		if c32.vec != want[i] {
			t.Errorf("%s: float32 plan %+v, want %+v", geomName(g), c32.vec, want[i])
		}
		if c64 := mustConv[float64](t, g); c64.vec.any() {
			t.Errorf("%s: float64 plan %+v uses vector kernels", geomName(g), c64.vec)
		}
	}
}

// TestVectorMatchesScalar runs every method with the vector kernels and
// with the scalar ones and checks that they agree to float32 rounding.
func TestVectorMatchesScalar(t *testing.T) {
	if !vectorEnabled {
		t.Skip("no vector kernels in this build or on this CPU")
	}
	gs := append(testGeoms(), daeGeoms(5)...)
	for i, g := range gs {
		t.Run(geomName(g), func(t *testing.T) {
			r := rand.New(rand.NewPCG(10, uint64(i)))
			x, w, b := toF32(randSlice(r, g.InLen())), toF32(randSlice(r, g.WLen())), toF32(randSlice(r, g.Cout))
			dy := toF32(randSlice(r, g.OutLen()))
			run := func(useVec bool) [][]float32 {
				c, err := newConv[float32](g, useVec)
				if err != nil {
					t.Fatal(err)
				}
				y, dx := make([]float32, g.OutLen()), make([]float32, g.InLen())
				dw, db := make([]float32, g.WLen()), make([]float32, g.Cout)
				c.Forward(y, x, w, b, ActReLU)
				c.BackInput(dx, dy, w)
				c.BackFilter(dw, db, x, dy)
				return [][]float32{y, dx, dw, db}
			}
			vec, sca := run(true), run(false)
			for k, name := range []string{"Forward", "BackInput", "BackFilter dw", "BackFilter db"} {
				v, s := toF64(vec[k]), toF64(sca[k])
				if d, m := maxAbsDiff(v, s), max(maxAbs(s), 1); d > tolF32Rel*m {
					t.Errorf("%s: vector and scalar differ by %g > %g", name, d, tolF32Rel*m)
				}
			}
		})
	}
}

// TestElementwiseVectorMatchesScalar checks BiasAct, ActBackward and
// SumRows with and without the vector code on float32 rows of several
// widths, including lengths that leave a scalar tail; all of them must
// agree exactly, except the sigmoid's own outputs and the gradients
// computed from them, whose float32 exponential may differ by a few ulps.
func TestElementwiseVectorMatchesScalar(t *testing.T) {
	if !vectorEnabled {
		t.Skip("no vector kernels in this build or on this CPU")
	}
	defer func() { vectorEnabled = true }()
	r := rand.New(rand.NewPCG(11, 0))
	for _, cols := range []int{1, 3, 8, 10, 16, 24, 100} {
		for _, rows := range []int{1, 7, 33} {
			y0 := toF32(randSlice(r, rows*cols))
			b := toF32(randSlice(r, cols))
			dy := toF32(randSlice(r, rows*cols))
			run := func(useVec bool) [][]float32 {
				vectorEnabled = useVec
				var out [][]float32
				for _, act := range []Act{ActNone, ActReLU, ActSigmoid} {
					y := append([]float32(nil), y0...)
					BiasAct(y, b, act)
					d := make([]float32, len(y))
					ActBackward(act, d, y, dy)
					out = append(out, y, d)
				}
				y := append([]float32(nil), y0...)
				BiasAct(y, nil, ActReLU)
				db := make([]float32, cols)
				SumRows(db, dy)
				return append(out, y, db)
			}
			vec, sca := run(true), run(false)
			for k := range vec {
				tol := 0.0
				if k == 4 || k == 5 { // sigmoid output and its gradient
					tol = 1e-6
				}
				for i := range vec[k] {
					if d := math.Abs(float64(vec[k][i] - sca[k][i])); d > tol {
						t.Fatalf("cols=%d rows=%d output %d element %d: vector %v, scalar %v", cols, rows, k, i, vec[k][i], sca[k][i])
					}
				}
			}
		}
	}
}

// TestParallelPool checks that the worker pool runs every partition
// exactly once, repeatedly and for more partitions than workers.
func TestParallelPool(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var j job
	for _, parts := range []int{1, 2, 3, 16, 50} {
		for range 20 {
			counts := make([]int, parts)
			parallel(&j, parts, func(p int) { counts[p]++ })
			for p, c := range counts {
				if c != 1 {
					t.Fatalf("parts=%d: partition %d ran %d times", parts, p, c)
				}
			}
		}
	}
}
