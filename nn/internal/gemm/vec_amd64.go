//go:build goexperiment.simd && amd64

package gemm

import (
	"runtime"
	"sync"

	"simd/archsimd"
)

// HaveVec reports whether the AVX2/FMA routines of this file can run on
// this CPU.
var HaveVec = archsimd.X86.AVX2() && archsimd.X86.FMA()

// avxToSSE: every function here that runs 256-bit AVX code clears the
// upper halves of the vector registers (VZEROUPPER) when it returns. The
// rest of the program is compiled to SSE, and on Intel cores SSE code run
// with those halves dirty pays for a false dependency on them: a softmax's
// scalar math.Exp after the kernels took a third of a classifier step.

// Vec32 computes c = op(a)·op(b) for float32 with AVX2 and FMA: op(a) is
// m×k, op(b) k×n, c m×n, all row-major; ta or tb (never both) transposes.
// Every c[i][j] is summed along k in ascending order, one fused
// multiply-add at a time, so the result depends only on the inputs. It
// must only be called when [HaveVec] is true.
func Vec32(ta, tb bool, m, n, k int, a, b, c []float32) {
	switch {
	case tb:
		// c = a·bᵀ with b (n,k): transpose b once into scratch so that
		// the kernel reads rows of op(b) with unit stride.
		bt := scratch.Get().(*[]float32)
		if cap(*bt) < k*n {
			*bt = make([]float32, k*n)
		}
		t := (*bt)[:k*n]
		for j := 0; j < n; j++ {
			row := b[j*k : j*k+k]
			for p, v := range row {
				t[p*n+j] = v
			}
		}
		rows(m, n, k, a, k, 1, t, c)
		scratch.Put(bt)
	case ta:
		rows(m, n, k, a, 1, m, b, c) // a is (k,m): a[i][p] at p*m+i
	default:
		rows(m, n, k, a, k, 1, b, c)
	}
}

// rowsPerTask is the smallest share of rows worth a goroutine.
const rowsPerTask = 64

// rows splits the rows of c among up to GOMAXPROCS goroutines. Each row
// of c is computed by exactly one of them, in the same order as a single
// thread would, so the split changes nothing in the result.
func rows(m, n, k int, a []float32, rs, cs int, b, c []float32) {
	tasks := min(runtime.GOMAXPROCS(0), m/rowsPerTask)
	if tasks <= 1 {
		vecKernel(m, n, k, a, rs, cs, b, c)
		return
	}
	var wg sync.WaitGroup
	for t := 0; t < tasks; t++ {
		lo, hi := (t*m/tasks)&^3, ((t+1)*m/tasks)&^3 // multiples of 4 keep whole tiles
		if t == tasks-1 {
			hi = m
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			vecKernel(hi-lo, n, k, a[lo*rs:], rs, cs, b, c[lo*n:hi*n])
		}()
	}
	wg.Wait()
}

var scratch = sync.Pool{New: func() any { return new([]float32) }}

// vecKernel computes c (m,n) = A·b where A[i][p] = a[i*rs+p*cs] and b is
// (k,n) row-major. The result is tiled in blocks of 4 rows by 16 columns
// held in eight Float32x8 accumulators: each step along k broadcasts four
// values of A and loads two vectors of a row of b, for eight fused
// multiply-adds. Columns past the last multiple of 8 are summed in scalar
// code in the same order.
func vecKernel(m, n, k int, a []float32, rs, cs int, b, c []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	_, _ = b[k*n-1], c[m*n-1]
	nv := n &^ 7 // columns covered by vectors
	i := 0
	for ; i+4 <= m; i += 4 {
		j := 0
		for ; j+16 <= nv; j += 16 {
			var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x8
			for p := 0; p < k; p++ {
				bp := b[p*n+j : p*n+j+16]
				b0 := archsimd.LoadFloat32x8((*[8]float32)(bp[0:8]))
				b1 := archsimd.LoadFloat32x8((*[8]float32)(bp[8:16]))
				ap := i*rs + p*cs
				x0 := archsimd.BroadcastFloat32x8(a[ap])
				x1 := archsimd.BroadcastFloat32x8(a[ap+rs])
				x2 := archsimd.BroadcastFloat32x8(a[ap+2*rs])
				x3 := archsimd.BroadcastFloat32x8(a[ap+3*rs])
				c00, c01 = x0.MulAdd(b0, c00), x0.MulAdd(b1, c01)
				c10, c11 = x1.MulAdd(b0, c10), x1.MulAdd(b1, c11)
				c20, c21 = x2.MulAdd(b0, c20), x2.MulAdd(b1, c21)
				c30, c31 = x3.MulAdd(b0, c30), x3.MulAdd(b1, c31)
			}
			store(c, i*n+j, c00, c01)
			store(c, (i+1)*n+j, c10, c11)
			store(c, (i+2)*n+j, c20, c21)
			store(c, (i+3)*n+j, c30, c31)
		}
		for ; j < nv; j += 8 {
			var c0, c1, c2, c3 archsimd.Float32x8
			for p := 0; p < k; p++ {
				bv := archsimd.LoadFloat32x8((*[8]float32)(b[p*n+j : p*n+j+8]))
				ap := i*rs + p*cs
				c0 = archsimd.BroadcastFloat32x8(a[ap]).MulAdd(bv, c0)
				c1 = archsimd.BroadcastFloat32x8(a[ap+rs]).MulAdd(bv, c1)
				c2 = archsimd.BroadcastFloat32x8(a[ap+2*rs]).MulAdd(bv, c2)
				c3 = archsimd.BroadcastFloat32x8(a[ap+3*rs]).MulAdd(bv, c3)
			}
			c0.Store((*[8]float32)(c[i*n+j : i*n+j+8]))
			c1.Store((*[8]float32)(c[(i+1)*n+j : (i+1)*n+j+8]))
			c2.Store((*[8]float32)(c[(i+2)*n+j : (i+2)*n+j+8]))
			c3.Store((*[8]float32)(c[(i+3)*n+j : (i+3)*n+j+8]))
		}
	}
	for ; i < m; i++ {
		for j := 0; j < nv; j += 8 {
			var acc archsimd.Float32x8
			for p := 0; p < k; p++ {
				bv := archsimd.LoadFloat32x8((*[8]float32)(b[p*n+j : p*n+j+8]))
				acc = archsimd.BroadcastFloat32x8(a[i*rs+p*cs]).MulAdd(bv, acc)
			}
			acc.Store((*[8]float32)(c[i*n+j : i*n+j+8]))
		}
	}
	// The columns after the last full vector, for every row.
	for i := 0; i < m; i++ {
		for j := nv; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s += a[i*rs+p*cs] * b[p*n+j]
			}
			c[i*n+j] = s
		}
	}
}

func store(c []float32, off int, v0, v1 archsimd.Float32x8) {
	v0.Store((*[8]float32)(c[off : off+8]))
	v1.Store((*[8]float32)(c[off+8 : off+16]))
}
