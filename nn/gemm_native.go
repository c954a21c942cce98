//go:build !wasm

package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// blasImpl is gonum's BLAS, with assembly kernels on amd64. Its parallel
// GEMM gives every output block to one goroutine, which sums along k in a
// fixed order, and picks serial or parallel by shape alone, so results do
// not depend on GOMAXPROCS.
var blasImpl gonum.Implementation

// blasGemm computes c = op(a)·op(b) for row-major a, b, c, where op
// transposes when the flag says so and op(a) is m×k, op(b) k×n. ta and tb
// are never both set.
func blasGemm[T floats](ta, tb bool, m, n, k int, a, b, c []T) {
	tA, tB := blas.NoTrans, blas.NoTrans
	lda, ldb := k, n
	if ta {
		tA, lda = blas.Trans, m
	}
	if tb {
		tB, ldb = blas.Trans, k
	}
	switch cc := any(c).(type) {
	case []float32:
		blasImpl.Sgemm(tA, tB, m, n, k, 1, any(a).([]float32), lda, any(b).([]float32), ldb, 0, cc, n)
	case []float64:
		blasImpl.Dgemm(tA, tB, m, n, k, 1, any(a).([]float64), lda, any(b).([]float64), ldb, 0, cc, n)
	}
}
