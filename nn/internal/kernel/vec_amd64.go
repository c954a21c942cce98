//go:build goexperiment.simd && amd64

package kernel

import (
	"simd/archsimd"
	"unsafe"
)

// This file holds the float32 AVX2/FMA kernels built with GOEXPERIMENT=simd
// on amd64. Every kernel uses 256-bit vectors of eight float32 lanes and
// keeps eight independent accumulators in flight, enough to cover the
// latency of the fused multiply-adds. The scalar kernels in kernels.go stay
// the fallback for other shapes, for float64 and for CPUs without AVX2 and
// FMA.

// vectorEnabled reports whether the float32 vector kernels are used. It is
// true when the CPU has AVX2 and FMA; tests clear it to compare the vector
// and scalar paths. A Conv reads it once, in NewConv.
var vectorEnabled = archsimd.X86.AVX2() && archsimd.X86.FMA()

// vectorBuild reports whether this build contains the vector kernels.
const vectorBuild = true

type f32x8 = archsimd.Float32x8

// avxToSSE: every function here that runs 256-bit AVX code clears the
// upper halves of the vector registers (VZEROUPPER) when it returns. The
// rest of the program is compiled to SSE, and on Intel cores SSE code run
// with those halves dirty pays for a false dependency on them: a softmax's
// scalar math.Exp after the kernels took a third of a classifier step.

// planVector chooses the vector kernels that fit the layout l.
func planVector(l *layout) vecPlan {
	return vecPlan{
		fwd8:       l.cout%8 == 0,
		fwd1:       l.cout == 1 && l.cin%8 == 0,
		bwiScatter: l.cout%8 == 0 && l.cin%8 == 0,
		bwiGather:  l.cout == 1 && l.s == 1 && l.cin%8 == 0,
		bwf8:       l.cout%8 == 0,
		bwf1:       l.cout == 1 && l.cin%8 == 0,
	}
}

// bcast returns s[i] in all eight lanes. It loads four elements, so s must
// extend at least three past i; the scratch images have slack for that.
func bcast(s []float32, i int) f32x8 {
	return archsimd.LoadFloat32x4((*[4]float32)(s[i : i+4])).Broadcast1To8()
}

// bcastAt returns the float32 at byte offset off from p in all eight
// lanes, loading four elements like bcast.
func bcastAt(p unsafe.Pointer, off uintptr) f32x8 {
	return archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(p, off))).Broadcast1To8()
}

func load8(s []float32, i int) f32x8 {
	return archsimd.LoadFloat32x8((*[8]float32)(s[i : i+8]))
}

func store8(v f32x8, s []float32, i int) {
	v.Store((*[8]float32)(s[i : i+8]))
}

// forwardImageVec8 computes y (OH,OW,Cout) = conv(xp, w) + bias for one
// padded image (hp,wp,Cin) when Cout is a multiple of 8. bias may be nil.
//
// Loop structure: for each block of eight output channels, the output
// pixels, taken in row-major order regardless of row ends, go in blocks of
// eight, with one Float32x8 accumulator per pixel holding its eight
// channels. For each kernel row kh the 3*Cin taps of a pixel are
// consecutive in xp; each tap loads one row of eight kernel values and
// multiplies it by each pixel's input value, broadcast, into that pixel's
// accumulator. Leftover pixels go one at a time with one accumulator per
// kernel row.
func forwardImageVec8(l *layout, y, xp, w, bias []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	cin, cout, s := l.cin, l.cout, l.s
	seg := 3 * cin
	rowPad := l.rowPad
	npix := l.oh * l.ow
	xstep := s * cin
	w = w[:9*cin*cout]
	base := func(p int) int { return (p/l.ow)*s*rowPad + (p%l.ow)*xstep }
	wstride := uintptr(cout) * 4
	for co := 0; co < cout; co += 8 {
		var b f32x8
		if bias != nil {
			b = load8(bias, co)
		}
		p := 0
		for ; p+8 <= npix; p += 8 {
			b0, b1, b2, b3 := base(p), base(p+1), base(p+2), base(p+3)
			b4, b5, b6, b7 := base(p+4), base(p+5), base(p+6), base(p+7)
			a0, a1, a2, a3, a4, a5, a6, a7 := b, b, b, b, b, b, b, b
			for kh := range 3 {
				o := kh * rowPad
				// The slices below are bounds checked once; the loop then
				// reads inside them through byte offsets, which keeps the
				// nine pointers and two offsets in registers.
				ws := w[kh*seg*cout+co : (kh+1)*seg*cout]
				_ = ws[(seg-1)*cout+7]
				q0 := unsafe.Pointer(&xp[b0+o : b0+o+seg+3][0])
				q1 := unsafe.Pointer(&xp[b1+o : b1+o+seg+3][0])
				q2 := unsafe.Pointer(&xp[b2+o : b2+o+seg+3][0])
				q3 := unsafe.Pointer(&xp[b3+o : b3+o+seg+3][0])
				q4 := unsafe.Pointer(&xp[b4+o : b4+o+seg+3][0])
				q5 := unsafe.Pointer(&xp[b5+o : b5+o+seg+3][0])
				q6 := unsafe.Pointer(&xp[b6+o : b6+o+seg+3][0])
				q7 := unsafe.Pointer(&xp[b7+o : b7+o+seg+3][0])
				qw := unsafe.Pointer(&ws[0])
				end := uintptr(seg) * 4
				for j, jw := uintptr(0), uintptr(0); j < end; j, jw = j+4, jw+wstride {
					wv := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(qw, jw)))
					a0 = bcastAt(q0, j).MulAdd(wv, a0)
					a1 = bcastAt(q1, j).MulAdd(wv, a1)
					a2 = bcastAt(q2, j).MulAdd(wv, a2)
					a3 = bcastAt(q3, j).MulAdd(wv, a3)
					a4 = bcastAt(q4, j).MulAdd(wv, a4)
					a5 = bcastAt(q5, j).MulAdd(wv, a5)
					a6 = bcastAt(q6, j).MulAdd(wv, a6)
					a7 = bcastAt(q7, j).MulAdd(wv, a7)
				}
			}
			store8(a0, y, p*cout+co)
			store8(a1, y, (p+1)*cout+co)
			store8(a2, y, (p+2)*cout+co)
			store8(a3, y, (p+3)*cout+co)
			store8(a4, y, (p+4)*cout+co)
			store8(a5, y, (p+5)*cout+co)
			store8(a6, y, (p+6)*cout+co)
			store8(a7, y, (p+7)*cout+co)
		}
		for ; p < npix; p++ {
			bp := base(p)
			var a [3]f32x8
			for kh := range 3 {
				ws := w[kh*seg*cout+co : (kh+1)*seg*cout]
				xs := xp[bp+kh*rowPad : bp+kh*rowPad+seg+3]
				acc := a[kh]
				for j := range seg {
					acc = bcast(xs, j).MulAdd(load8(ws, j*cout), acc)
				}
				a[kh] = acc
			}
			store8(b.Add(a[0]).Add(a[1].Add(a[2])), y, p*cout+co)
		}
	}
}

// forwardImageVec1 computes y (OH,OW) = conv(xp, w) + bias for one padded
// image when Cout is 1 and Cin a multiple of 8.
//
// Loop structure: with one output channel the kernel rows of one kh are
// 3*Cin consecutive values, as are the taps of a pixel, so each output is
// a dot product of 3*Cin/8 vector pairs per kh. Output pixels go in blocks
// of four (row-major, across row ends) with two accumulators each, the
// kernel vector loaded once per block; the eight accumulators are reduced
// to four sums with horizontal adds at the end.
func forwardImageVec1(l *layout, y, xp, w []float32, bias float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	cin, s := l.cin, l.s
	seg := 3 * cin
	rowPad := l.rowPad
	npix := l.oh * l.ow
	xstep := s * cin
	w = w[:9*cin]
	base := func(p int) int { return (p/l.ow)*s*rowPad + (p%l.ow)*xstep }
	bv := archsimd.BroadcastFloat32x4(bias)
	p := 0
	for ; p+4 <= npix; p += 4 {
		b0, b1, b2, b3 := base(p), base(p+1), base(p+2), base(p+3)
		var a0, a1, a2, a3, c0, c1, c2, c3 f32x8
		for kh := range 3 {
			o := kh * rowPad
			ws := w[kh*seg : (kh+1)*seg]
			x0 := xp[b0+o : b0+o+seg]
			x1 := xp[b1+o : b1+o+seg]
			x2 := xp[b2+o : b2+o+seg]
			x3 := xp[b3+o : b3+o+seg]
			j := 0
			for ; j+16 <= seg; j += 16 {
				wv, wu := load8(ws, j), load8(ws, j+8)
				a0 = load8(x0, j).MulAdd(wv, a0)
				a1 = load8(x1, j).MulAdd(wv, a1)
				a2 = load8(x2, j).MulAdd(wv, a2)
				a3 = load8(x3, j).MulAdd(wv, a3)
				c0 = load8(x0, j+8).MulAdd(wu, c0)
				c1 = load8(x1, j+8).MulAdd(wu, c1)
				c2 = load8(x2, j+8).MulAdd(wu, c2)
				c3 = load8(x3, j+8).MulAdd(wu, c3)
			}
			if j < seg {
				wv := load8(ws, j)
				a0 = load8(x0, j).MulAdd(wv, a0)
				a1 = load8(x1, j).MulAdd(wv, a1)
				a2 = load8(x2, j).MulAdd(wv, a2)
				a3 = load8(x3, j).MulAdd(wv, a3)
			}
		}
		a0, a1, a2, a3 = a0.Add(c0), a1.Add(c1), a2.Add(c2), a3.Add(c3)
		h := a0.AddPairsGrouped(a1).AddPairsGrouped(a2.AddPairsGrouped(a3))
		h.GetLo().Add(h.GetHi()).Add(bv).Store((*[4]float32)(y[p : p+4]))
	}
	for ; p < npix; p++ {
		bp := base(p)
		var a f32x8
		for kh := range 3 {
			ws := w[kh*seg : (kh+1)*seg]
			xs := xp[bp+kh*rowPad : bp+kh*rowPad+seg]
			for j := 0; j < seg; j += 8 {
				a = load8(xs, j).MulAdd(load8(ws, j), a)
			}
		}
		h := a.GetLo().Add(a.GetHi())
		h = h.AddPairs(h)
		h = h.AddPairs(h)
		y[p] = h.GetElem(0) + bias
	}
}

// backInputImageScatter accumulates conv^T(dy, wt) for one image into the
// zeroed padded image dxp (hp,wp,Cin) when Cin and Cout are multiples of 8;
// wt is the kernel with each tap transposed, shape (3,3,Cout,Cin).
//
// Loop structure: for each output pixel and block of eight output
// channels, the eight dy values are broadcast once into registers; then
// for each of the nine taps and each group of eight input channels, the
// eight input-gradient values at that tap are loaded, receive the sum of
// the eight broadcast dy values times the matching rows of wt (two chains
// of four fused multiply-adds) and are stored back.
func backInputImageScatter(l *layout, dxp, dy, wt []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	cin, cout, s := l.cin, l.cout, l.s
	rowPad := l.rowPad
	wt = wt[:9*cin*cout]
	for oh := 0; oh < l.oh; oh++ {
		for ow := 0; ow < l.ow; ow++ {
			base := oh*s*rowPad + ow*s*cin
			pix := (oh*l.ow + ow) * cout
			for co := 0; co < cout; co += 8 {
				d := (*[8]float32)(dy[pix+co : pix+co+8])
				d0 := archsimd.BroadcastFloat32x8(d[0])
				d1 := archsimd.BroadcastFloat32x8(d[1])
				d2 := archsimd.BroadcastFloat32x8(d[2])
				d3 := archsimd.BroadcastFloat32x8(d[3])
				d4 := archsimd.BroadcastFloat32x8(d[4])
				d5 := archsimd.BroadcastFloat32x8(d[5])
				d6 := archsimd.BroadcastFloat32x8(d[6])
				d7 := archsimd.BroadcastFloat32x8(d[7])
				for kh := range 3 {
					for kw := range 3 {
						pos := base + kh*rowPad + kw*cin
						t := kh*3 + kw
						for ci := 0; ci < cin; ci += 8 {
							ws := wt[(t*cout+co)*cin+ci : (t*cout+co+7)*cin+ci+8]
							acc := load8(dxp, pos+ci)
							acc = d0.MulAdd(load8(ws, 0), acc)
							acc = d1.MulAdd(load8(ws, cin), acc)
							acc = d2.MulAdd(load8(ws, 2*cin), acc)
							acc = d3.MulAdd(load8(ws, 3*cin), acc)
							bcc := d4.Mul(load8(ws, 4*cin))
							bcc = d5.MulAdd(load8(ws, 5*cin), bcc)
							bcc = d6.MulAdd(load8(ws, 6*cin), bcc)
							bcc = d7.MulAdd(load8(ws, 7*cin), bcc)
							store8(acc.Add(bcc), dxp, pos+ci)
						}
					}
				}
			}
		}
	}
}

// backFilterImageVec8 accumulates the kernel gradient of one image into dw
// when Cout is a multiple of 8, given the padded input xp and the output
// gradient dy.
//
// Loop structure: for each block of eight output channels and each kernel
// row kh, the 3*Cin kernel rows of that kh go in chunks of eight
// consecutive taps, which are consecutive in xp for every output pixel.
// Eight accumulators, one per tap, each hold eight output channels; every
// output pixel adds its eight dy values times the tap's input value,
// broadcast. A last chunk shorter than eight computes all eight (the
// extra taps read neighbouring or slack elements of xp) and stores only
// the real ones.
func backFilterImageVec8(l *layout, dw, xp, dy []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	cin, cout, s := l.cin, l.cout, l.s
	seg := 3 * cin
	rowPad := l.rowPad
	xstep := s * cin
	dw = dw[:9*cin*cout]
	for co := 0; co < cout; co += 8 {
		for kh := range 3 {
			for j := 0; j < seg; j += 8 {
				var a0, a1, a2, a3, a4, a5, a6, a7 f32x8
				for oh := 0; oh < l.oh; oh++ {
					xo := (oh*s+kh)*rowPad + j
					do := oh*l.ow*cout + co
					for range l.ow {
						xs := xp[xo : xo+11]
						d := load8(dy, do)
						a0 = bcast(xs, 0).MulAdd(d, a0)
						a1 = bcast(xs, 1).MulAdd(d, a1)
						a2 = bcast(xs, 2).MulAdd(d, a2)
						a3 = bcast(xs, 3).MulAdd(d, a3)
						a4 = bcast(xs, 4).MulAdd(d, a4)
						a5 = bcast(xs, 5).MulAdd(d, a5)
						a6 = bcast(xs, 6).MulAdd(d, a6)
						a7 = bcast(xs, 7).MulAdd(d, a7)
						xo += xstep
						do += cout
					}
				}
				acc := [8]f32x8{a0, a1, a2, a3, a4, a5, a6, a7}
				for k := range min(8, seg-j) {
					o := (kh*seg+j+k)*cout + co
					store8(load8(dw, o).Add(acc[k]), dw, o)
				}
			}
		}
	}
}

// backFilterImageVec1 accumulates the kernel gradient of one image into dw
// when Cout is 1 and Cin a multiple of 8, given the padded input xp and the
// output gradient dy (OH,OW).
//
// Loop structure: with one output channel the 3*Cin kernel values of one
// kh are consecutive, as are a pixel's taps, and 3*Cin is a multiple of
// 24. Each chunk of 24 kernel values is three Float32x8 accumulators; the
// output pixels of each row are taken in pairs, each pair member with its
// own three accumulators, adding its broadcast dy value times its three
// input vectors.
func backFilterImageVec1(l *layout, dw, xp, dy []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	cin, s := l.cin, l.s
	seg := 3 * cin
	rowPad := l.rowPad
	xstep := s * cin
	dw = dw[:9*cin]
	dy = dy[:l.oh*l.ow]
	for kh := range 3 {
		for j := 0; j < seg; j += 24 {
			var a0, a1, a2, c0, c1, c2 f32x8
			for oh := 0; oh < l.oh; oh++ {
				xo := (oh*s+kh)*rowPad + j
				dr := dy[oh*l.ow : (oh+1)*l.ow]
				ow := 0
				for ; ow+2 <= len(dr); ow += 2 {
					xs := xp[xo : xo+xstep+24]
					d := archsimd.BroadcastFloat32x8(dr[ow])
					e := archsimd.BroadcastFloat32x8(dr[ow+1])
					a0 = load8(xs, 0).MulAdd(d, a0)
					a1 = load8(xs, 8).MulAdd(d, a1)
					a2 = load8(xs, 16).MulAdd(d, a2)
					c0 = load8(xs, xstep).MulAdd(e, c0)
					c1 = load8(xs, xstep+8).MulAdd(e, c1)
					c2 = load8(xs, xstep+16).MulAdd(e, c2)
					xo += 2 * xstep
				}
				if ow < len(dr) {
					xs := xp[xo : xo+24]
					d := archsimd.BroadcastFloat32x8(dr[ow])
					a0 = load8(xs, 0).MulAdd(d, a0)
					a1 = load8(xs, 8).MulAdd(d, a1)
					a2 = load8(xs, 16).MulAdd(d, a2)
				}
			}
			o := kh*seg + j
			store8(load8(dw, o).Add(a0.Add(c0)), dw, o)
			store8(load8(dw, o+8).Add(a1.Add(c1)), dw, o+8)
			store8(load8(dw, o+16).Add(a2.Add(c2)), dw, o+16)
		}
	}
}
