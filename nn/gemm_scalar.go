//go:build !wasm && !(goexperiment.simd && amd64)

package nn

// gemm is gonum's BLAS in the portable native build.
func gemm[T floats](ta, tb bool, m, n, k int, a, b, c []T) {
	blasGemm(ta, tb, m, n, k, a, b, c)
}
