//go:build wasm

package nn

import mm "warmstart/nn/internal/gemm"

// gemm computes c = op(a)·op(b) for row-major a, b, c, where op transposes
// when the flag says so and op(a) is m×k, op(b) k×n. ta and tb are never
// both set. WebAssembly has no assembly BLAS, and gonum's pure-Go one
// reaches a third of what nn/internal/gemm's register-blocked loops do.
func gemm[T floats](ta, tb bool, m, n, k int, a, b, c []T) {
	switch {
	case ta:
		mm.TN(m, n, k, a, b, c)
	case tb:
		mm.NT(m, n, k, a, b, c)
	default:
		mm.NN(m, n, k, a, b, c)
	}
}
