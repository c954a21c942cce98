// Package gemm multiplies small row-major matrices in plain Go, for the
// dense layers when no assembly BLAS is available (WebAssembly). Each
// routine holds a 4x4 block of the result in local variables, so every
// step of its inner loop does 16 multiply-adds for 8 loads; the order of
// every sum is fixed (ascending along the shared dimension), so results do
// not depend on anything but the inputs.
//
// Shapes, all row-major:
//
//	NN: c(m,n) = a(m,k) · b(k,n)
//	NT: c(m,n) = a(m,k) · b(n,k)ᵀ
//	TN: c(m,n) = a(k,m)ᵀ · b(k,n)
//
// c is overwritten. The routines panic if a slice is shorter than its
// shape says.
package gemm

// Float is the element type of the routines.
type Float interface{ ~float32 | ~float64 }

// NN computes c = a·b for a (m,k), b (k,n), c (m,n).
func NN[T Float](m, n, k int, a, b, c []T) {
	_, _, _ = a[m*k-1], b[k*n-1], c[m*n-1]
	i := 0
	for ; i+4 <= m; i += 4 {
		a0, a1, a2, a3 := a[i*k:i*k+k], a[(i+1)*k:(i+1)*k+k], a[(i+2)*k:(i+2)*k+k], a[(i+3)*k:(i+3)*k+k]
		j := 0
		for ; j+4 <= n; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
			for p := 0; p < k; p++ {
				bp := b[p*n+j : p*n+j+4]
				b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
				x0, x1, x2, x3 := a0[p], a1[p], a2[p], a3[p]
				c00 += x0 * b0
				c01 += x0 * b1
				c02 += x0 * b2
				c03 += x0 * b3
				c10 += x1 * b0
				c11 += x1 * b1
				c12 += x1 * b2
				c13 += x1 * b3
				c20 += x2 * b0
				c21 += x2 * b1
				c22 += x2 * b2
				c23 += x2 * b3
				c30 += x3 * b0
				c31 += x3 * b1
				c32 += x3 * b2
				c33 += x3 * b3
			}
			store4(c[i*n+j:], c00, c01, c02, c03)
			store4(c[(i+1)*n+j:], c10, c11, c12, c13)
			store4(c[(i+2)*n+j:], c20, c21, c22, c23)
			store4(c[(i+3)*n+j:], c30, c31, c32, c33)
		}
		for ; j < n; j++ {
			var s0, s1, s2, s3 T
			for p := 0; p < k; p++ {
				v := b[p*n+j]
				s0 += a0[p] * v
				s1 += a1[p] * v
				s2 += a2[p] * v
				s3 += a3[p] * v
			}
			c[i*n+j], c[(i+1)*n+j], c[(i+2)*n+j], c[(i+3)*n+j] = s0, s1, s2, s3
		}
	}
	for ; i < m; i++ {
		ai := a[i*k : i*k+k]
		for j := 0; j < n; j++ {
			var s T
			for p, x := range ai {
				s += x * b[p*n+j]
			}
			c[i*n+j] = s
		}
	}
}

// NT computes c = a·bᵀ for a (m,k), b (n,k), c (m,n): every entry is a dot
// product of two contiguous rows.
func NT[T Float](m, n, k int, a, b, c []T) {
	_, _, _ = a[m*k-1], b[n*k-1], c[m*n-1]
	i := 0
	for ; i+4 <= m; i += 4 {
		a0, a1, a2, a3 := a[i*k:i*k+k], a[(i+1)*k:(i+1)*k+k], a[(i+2)*k:(i+2)*k+k], a[(i+3)*k:(i+3)*k+k]
		j := 0
		for ; j+4 <= n; j += 4 {
			b0, b1, b2, b3 := b[j*k:j*k+k], b[(j+1)*k:(j+1)*k+k], b[(j+2)*k:(j+2)*k+k], b[(j+3)*k:(j+3)*k+k]
			var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
			for p := 0; p < k; p++ {
				x0, x1, x2, x3 := a0[p], a1[p], a2[p], a3[p]
				y0, y1, y2, y3 := b0[p], b1[p], b2[p], b3[p]
				c00 += x0 * y0
				c01 += x0 * y1
				c02 += x0 * y2
				c03 += x0 * y3
				c10 += x1 * y0
				c11 += x1 * y1
				c12 += x1 * y2
				c13 += x1 * y3
				c20 += x2 * y0
				c21 += x2 * y1
				c22 += x2 * y2
				c23 += x2 * y3
				c30 += x3 * y0
				c31 += x3 * y1
				c32 += x3 * y2
				c33 += x3 * y3
			}
			store4(c[i*n+j:], c00, c01, c02, c03)
			store4(c[(i+1)*n+j:], c10, c11, c12, c13)
			store4(c[(i+2)*n+j:], c20, c21, c22, c23)
			store4(c[(i+3)*n+j:], c30, c31, c32, c33)
		}
		for ; j < n; j++ {
			bj := b[j*k : j*k+k]
			var s0, s1, s2, s3 T
			for p, y := range bj {
				s0 += a0[p] * y
				s1 += a1[p] * y
				s2 += a2[p] * y
				s3 += a3[p] * y
			}
			c[i*n+j], c[(i+1)*n+j], c[(i+2)*n+j], c[(i+3)*n+j] = s0, s1, s2, s3
		}
	}
	for ; i < m; i++ {
		ai := a[i*k : i*k+k]
		for j := 0; j < n; j++ {
			bj := b[j*k : j*k+k]
			var s T
			for p, x := range ai {
				s += x * bj[p]
			}
			c[i*n+j] = s
		}
	}
}

// TN computes c = aᵀ·b for a (k,m), b (k,n), c (m,n): each step of the
// inner loop reads four contiguous values of a row of a and of b.
func TN[T Float](m, n, k int, a, b, c []T) {
	_, _, _ = a[k*m-1], b[k*n-1], c[m*n-1]
	i := 0
	for ; i+4 <= m; i += 4 {
		j := 0
		for ; j+4 <= n; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
			for p := 0; p < k; p++ {
				ap := a[p*m+i : p*m+i+4]
				bp := b[p*n+j : p*n+j+4]
				x0, x1, x2, x3 := ap[0], ap[1], ap[2], ap[3]
				y0, y1, y2, y3 := bp[0], bp[1], bp[2], bp[3]
				c00 += x0 * y0
				c01 += x0 * y1
				c02 += x0 * y2
				c03 += x0 * y3
				c10 += x1 * y0
				c11 += x1 * y1
				c12 += x1 * y2
				c13 += x1 * y3
				c20 += x2 * y0
				c21 += x2 * y1
				c22 += x2 * y2
				c23 += x2 * y3
				c30 += x3 * y0
				c31 += x3 * y1
				c32 += x3 * y2
				c33 += x3 * y3
			}
			store4(c[i*n+j:], c00, c01, c02, c03)
			store4(c[(i+1)*n+j:], c10, c11, c12, c13)
			store4(c[(i+2)*n+j:], c20, c21, c22, c23)
			store4(c[(i+3)*n+j:], c30, c31, c32, c33)
		}
		for ; j < n; j++ {
			var s0, s1, s2, s3 T
			for p := 0; p < k; p++ {
				y := b[p*n+j]
				ap := a[p*m+i : p*m+i+4]
				s0 += ap[0] * y
				s1 += ap[1] * y
				s2 += ap[2] * y
				s3 += ap[3] * y
			}
			c[i*n+j], c[(i+1)*n+j], c[(i+2)*n+j], c[(i+3)*n+j] = s0, s1, s2, s3
		}
	}
	for ; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				s += a[p*m+i] * b[p*n+j]
			}
			c[i*n+j] = s
		}
	}
}

func store4[T Float](c []T, v0, v1, v2, v3 T) {
	c = c[:4]
	c[0], c[1], c[2], c[3] = v0, v1, v2, v3
}
