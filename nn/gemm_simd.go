//go:build goexperiment.simd && amd64

package nn

import mm "warmstart/nn/internal/gemm"

// gemm uses nn/internal/gemm's AVX2 routine for float32 where the CPU has
// it (about twice gonum's speed on the dense layers' shapes) and gonum's
// BLAS otherwise.
func gemm[T floats](ta, tb bool, m, n, k int, a, b, c []T) {
	if cc, ok := any(c).([]float32); ok && mm.HaveVec {
		mm.Vec32(ta, tb, m, n, k, any(a).([]float32), any(b).([]float32), cc)
		return
	}
	blasGemm(ta, tb, m, n, k, a, b, c)
}
