package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naive returns op(a)·op(b) by the textbook triple loop in float64.
func naive(ta, tb bool, m, n, k int, a, b []float64) []float64 {
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				x, y := a[i*k+p], b[p*n+j]
				if ta {
					x = a[p*m+i]
				}
				if tb {
					y = b[j*k+p]
				}
				s += x * y
			}
			c[i*n+j] = s
		}
	}
	return c
}

func TestAgainstNaive(t *testing.T) {
	const tol = 1e-12 // float64 sums of at most 13 terms of order 1
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 2}, {4, 4, 4}, {5, 9, 13}, {8, 10, 7}, {12, 3, 1}, {7, 1, 9}} {
		m, n, k := sz[0], sz[1], sz[2]
		a, b := make([]float64, m*k), make([]float64, k*n)
		for i := range a {
			a[i] = rng.Float64()*2 - 1
		}
		for i := range b {
			b[i] = rng.Float64()*2 - 1
		}
		for _, tc := range []struct {
			name   string
			ta, tb bool
			f      func(m, n, k int, a, b, c []float64)
		}{{"NN", false, false, NN[float64]}, {"NT", false, true, NT[float64]}, {"TN", true, false, TN[float64]}} {
			t.Run(fmt.Sprintf("%s/%dx%dx%d", tc.name, m, n, k), func(t *testing.T) {
				want := naive(tc.ta, tc.tb, m, n, k, a, b)
				c := make([]float64, m*n)
				for i := range c {
					c[i] = math.NaN() // c is overwritten, never accumulated
				}
				tc.f(m, n, k, a, b, c)
				for i := range c {
					if math.Abs(c[i]-want[i]) > tol {
						t.Fatalf("c[%d]: got %v, want %v (tol %g)", i, c[i], want[i], tol)
					}
				}
			})
		}
	}
}

var sink []float32

// BenchmarkDense measures the dense layer's three products at batch 256
// (392 inputs, 100 outputs), in GFLOP/s counting 2mnk.
func BenchmarkDense(b *testing.B) {
	const m, k, n = 256, 392, 100
	x, w, y := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for _, bc := range []struct {
		name string
		f    func()
	}{
		{"NN", func() { NN(m, n, k, x, w, y) }},
		{"NT", func() { NT(m, k, n, y, w, x) }},
		{"TN", func() { TN(k, n, m, x, y, w) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				bc.f()
			}
			b.ReportMetric(2*m*n*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			sink = y
		})
	}
}
