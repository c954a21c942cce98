//go:build goexperiment.simd && amd64

package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestVec32AgainstNaive compares the AVX2 routine with the textbook
// product in float64, for shapes with and without full tiles, including
// the dense layers' own (256x392 by 392x100, and 100 by 10).
func TestVec32AgainstNaive(t *testing.T) {
	if !HaveVec {
		t.Skip("no AVX2/FMA on this CPU")
	}
	const tol = 1e-4 // float32 sums of at most 392 products of order 1, relative above 1
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][3]int{{1, 1, 1}, {4, 16, 3}, {5, 9, 13}, {7, 33, 5}, {8, 10, 100}, {256, 100, 392}, {13, 24, 17}, {6, 15, 7}, {3, 4, 9}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range []struct{ ta, tb bool }{{false, false}, {true, false}, {false, true}} {
			t.Run(fmt.Sprintf("%dx%dx%d/ta=%v,tb=%v", m, n, k, tr.ta, tr.tb), func(t *testing.T) {
				a, b := make([]float32, m*k), make([]float32, k*n)
				a64, b64 := make([]float64, m*k), make([]float64, k*n)
				for i := range a {
					a[i] = float32(rng.Float64()*2 - 1)
					a64[i] = float64(a[i])
				}
				for i := range b {
					b[i] = float32(rng.Float64()*2 - 1)
					b64[i] = float64(b[i])
				}
				want := naive(tr.ta, tr.tb, m, n, k, a64, b64)
				c := make([]float32, m*n)
				for i := range c {
					c[i] = float32(math.NaN())
				}
				Vec32(tr.ta, tr.tb, m, n, k, a, b, c)
				for i := range c {
					if d := math.Abs(float64(c[i]) - want[i]); d > tol*math.Max(1, math.Abs(want[i])) {
						t.Fatalf("c[%d]: got %v, want %v (tol %g)", i, c[i], want[i], tol)
					}
				}
			})
		}
	}
}

// TestVec32ThreadIndependent: splitting rows among goroutines changes no
// bit of the result.
func TestVec32ThreadIndependent(t *testing.T) {
	if !HaveVec {
		t.Skip("no AVX2/FMA on this CPU")
	}
	const m, n, k = 261, 100, 392 // rows not a multiple of 4, columns not of 8
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	for _, tr := range []struct{ ta, tb bool }{{false, false}, {true, false}, {false, true}} {
		var got [2][]float32
		for i, procs := range []int{1, 4} {
			prev := runtime.GOMAXPROCS(procs)
			got[i] = make([]float32, m*n)
			if tr.ta {
				Vec32(true, false, m, n, k, a, b, got[i]) // a read as (k,m)
			} else if tr.tb {
				Vec32(false, true, m, n, k, a, b, got[i]) // b read as (n,k)
			} else {
				Vec32(false, false, m, n, k, a, b, got[i])
			}
			runtime.GOMAXPROCS(prev)
		}
		for i := range got[0] {
			if math.Float32bits(got[0][i]) != math.Float32bits(got[1][i]) {
				t.Fatalf("ta=%v tb=%v: c[%d] is %v with 1 thread, %v with 4", tr.ta, tr.tb, i, got[0][i], got[1][i])
			}
		}
	}
}

func BenchmarkVec32(b *testing.B) {
	const m, k, n = 256, 392, 100
	x, w, y := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for _, bc := range []struct {
		name string
		f    func()
	}{
		{"NN", func() { Vec32(false, false, m, n, k, x, w, y) }},
		{"NT", func() { Vec32(false, true, m, k, n, y, w, x) }},
		{"TN", func() { Vec32(true, false, k, n, m, x, y, w) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				bc.f()
			}
			b.ReportMetric(2*m*n*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
