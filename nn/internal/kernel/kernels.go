package kernel

import "unsafe"

// The per-image kernels below work on a zero-padded image of shape (hp,wp,Cin),
// so no tap needs a bounds test. For a fixed output pixel and kernel row kh,
// the three taps kw = 0, 1, 2 read (or write) 3*Cin consecutive elements of
// the padded image, and the matching kernel rows are the 3*Cin consecutive
// rows of w starting at row kh*3*Cin (each row holding Cout values). Output
// channels are processed in blocks of eight held in local variables; the
// remaining Cout mod 8 channels go through a per-channel path.
//
// These kernels are all that WebAssembly gets, and Go's wasm backend turns
// every loop back-edge into a jump through the function's block dispatch
// table, gives each float load its own address add (constant offsets are not
// folded into float loads) and keeps only 16 float32 values in registers.
// The hot channel counts therefore take dedicated kernels
// (forwardImage4, backFilterImage4, backInputImage8 and the Cout == 1
// variants) whose register tiles reuse each loaded value several times and
// whose inner loops are unrolled, with remainders written out as straight-line
// code rather than a second loop where that is short.

// uncheckedLoads: in the hot loops of forwardImage4, forwardImage1,
// backFilterImage4, backInputImage8 and backFilterImage's one-channel path,
// loads go through unsafe pointers rather than slice
// indexing. Go's WebAssembly code pays a compare and a branch for every
// bounds check it cannot prove away, and with strides that vary by layer
// it can prove almost none: dropping them made backFilterImage4 a fifth
// faster there. Each function checks the last index a loop will touch
// before it starts (or reslices to the exact length that bounds every
// access), so a wrong geometry still panics instead of reading past its
// slice, and the kernel tests compare every geometry with a reference.

// forwardImage computes y (OH,OW,Cout) = conv(xp, w) + bias for one padded
// image; bias has length Cout.
func (c *Conv[T]) forwardImage(y, xp, w, bias []T) {
	cin, cout, s := c.g.Cin, c.g.Cout, c.g.Stride
	seg := 3 * cin
	rowPad := c.wp * cin
	co8 := cout &^ 7
	w = w[:9*cin*cout]
	bias = bias[:cout]
	if cout == 1 {
		c.forwardImage1(y, xp, w, bias[0])
		return
	}
	if cout%4 == 0 {
		forwardImage4(&c.l, y, xp, w, bias)
		return
	}
	for oh := 0; oh < c.oh; oh++ {
		for ow := 0; ow < c.ow; ow++ {
			base := oh*s*rowPad + ow*s*cin
			yp := y[(oh*c.ow+ow)*cout : (oh*c.ow+ow+1)*cout]
			for co := 0; co < co8; co += 8 {
				bb := (*[8]T)(bias[co : co+8])
				a0, a1, a2, a3, a4, a5, a6, a7 := bb[0], bb[1], bb[2], bb[3], bb[4], bb[5], bb[6], bb[7]
				for kh := range 3 {
					xs := xp[base+kh*rowPad : base+kh*rowPad+seg]
					o := kh*seg*cout + co
					for _, xv := range xs {
						wr := (*[8]T)(w[o : o+8])
						a0 += xv * wr[0]
						a1 += xv * wr[1]
						a2 += xv * wr[2]
						a3 += xv * wr[3]
						a4 += xv * wr[4]
						a5 += xv * wr[5]
						a6 += xv * wr[6]
						a7 += xv * wr[7]
						o += cout
					}
				}
				yr := (*[8]T)(yp[co : co+8])
				yr[0], yr[1], yr[2], yr[3] = a0, a1, a2, a3
				yr[4], yr[5], yr[6], yr[7] = a4, a5, a6, a7
			}
			for co := co8; co < cout; co++ {
				var a0, a1, a2, a3 T
				for kh := range 3 {
					xs := xp[base+kh*rowPad : base+kh*rowPad+seg]
					o := kh*seg*cout + co
					j := 0
					for ; j+4 <= len(xs); j += 4 {
						a0 += xs[j] * w[o]
						a1 += xs[j+1] * w[o+cout]
						a2 += xs[j+2] * w[o+2*cout]
						a3 += xs[j+3] * w[o+3*cout]
						o += 4 * cout
					}
					for ; j < len(xs); j++ {
						a0 += xs[j] * w[o]
						o += cout
					}
				}
				yp[co] = bias[co] + ((a0 + a1) + (a2 + a3))
			}
		}
	}
}

// backInputImage accumulates conv^T(dy, w) for one image into the padded
// image dxp, which the caller has zeroed.
func (c *Conv[T]) backInputImage(dxp, dy, w []T) {
	cin, cout, s := c.g.Cin, c.g.Cout, c.g.Stride
	seg := 3 * cin
	rowPad := c.wp * cin
	co8 := cout &^ 7
	w = w[:9*cin*cout]
	if cout == 1 {
		c.backInputImage1(dxp, dy, w)
		return
	}
	if cout%8 == 0 {
		backInputImage8(&c.l, dxp, dy, w)
		return
	}
	for oh := 0; oh < c.oh; oh++ {
		for ow := 0; ow < c.ow; ow++ {
			base := oh*s*rowPad + ow*s*cin
			dp := dy[(oh*c.ow+ow)*cout : (oh*c.ow+ow+1)*cout]
			for co := 0; co < co8; co += 8 {
				d := (*[8]T)(dp[co : co+8])
				d0, d1, d2, d3, d4, d5, d6, d7 := d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
				for kh := range 3 {
					xs := dxp[base+kh*rowPad : base+kh*rowPad+seg]
					o := kh*seg*cout + co
					for j := range xs {
						wr := (*[8]T)(w[o : o+8])
						xs[j] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
					}
				}
			}
			for co := co8; co < cout; co++ {
				d := dp[co]
				for kh := range 3 {
					xs := dxp[base+kh*rowPad : base+kh*rowPad+seg]
					o := kh*seg*cout + co
					for j := range xs {
						xs[j] += w[o] * d
						o += cout
					}
				}
			}
		}
	}
}

// backFilterImage accumulates the kernel gradient of one image into dw,
// given its padded input xp and output gradient dy.
func (c *Conv[T]) backFilterImage(dw, xp, dy []T) {
	cin, cout, s := c.g.Cin, c.g.Cout, c.g.Stride
	seg := 3 * cin
	rowPad := c.wp * cin
	co8 := cout &^ 7
	dw = dw[:9*cin*cout]
	xstep := s * cin
	sz := unsafe.Sizeof(dw[0])
	xstepB, coutB := uintptr(xstep)*sz, uintptr(cout)*sz
	if cout%4 == 0 {
		backFilterImage4(&c.l, dw, xp, dy)
		return
	}
	if co8 > 0 {
		// Blocks of eight output channels: each kernel row r = kh*seg+j
		// accumulates x(tap) * dy(pixel, co..co+7) over all output pixels.
		for kh := range 3 {
			for j := range seg {
				r := kh*seg + j
				for co := 0; co < co8; co += 8 {
					var a0, a1, a2, a3, a4, a5, a6, a7 T
					for oh := 0; oh < c.oh; oh++ {
						xo := (oh*s+kh)*rowPad + j
						do := oh*c.ow*cout + co
						for range c.ow {
							xv := xp[xo]
							d := (*[8]T)(dy[do : do+8])
							a0 += xv * d[0]
							a1 += xv * d[1]
							a2 += xv * d[2]
							a3 += xv * d[3]
							a4 += xv * d[4]
							a5 += xv * d[5]
							a6 += xv * d[6]
							a7 += xv * d[7]
							xo += xstep
							do += cout
						}
					}
					g := (*[8]T)(dw[r*cout+co : r*cout+co+8])
					g[0] += a0
					g[1] += a1
					g[2] += a2
					g[3] += a3
					g[4] += a4
					g[5] += a5
					g[6] += a6
					g[7] += a7
				}
			}
		}
	}
	// Remaining output channels one at a time, with blocks of eight
	// consecutive taps (kw, ci) held in local variables and the loop over
	// the pixels of one output row unrolled by two.
	for co := co8; co < cout; co++ {
		for kh := range 3 {
			j := 0
			for ; j+8 <= seg; j += 8 {
				var a0, a1, a2, a3, a4, a5, a6, a7 T
				for oh := 0; oh < c.oh; oh++ {
					x0, d0 := (oh*s+kh)*rowPad+j, oh*c.ow*cout+co
					// The row's last loads, checked once here; the loop
					// below reads through pointers (see uncheckedLoads).
					_ = xp[x0+(c.ow-1)*xstep+7]
					_ = dy[d0+(c.ow-1)*cout]
					xb, db := unsafe.Pointer(&xp[x0]), unsafe.Pointer(&dy[d0])
					xo, do := uintptr(0), uintptr(0)
					var d T
					var xs *[8]T
					ow := 0
					for ; ow+2 <= c.ow; ow += 2 {
						d = *(*T)(unsafe.Add(db, do))
						xs = (*[8]T)(unsafe.Add(xb, xo))
						a0 += xs[0] * d
						a1 += xs[1] * d
						a2 += xs[2] * d
						a3 += xs[3] * d
						a4 += xs[4] * d
						a5 += xs[5] * d
						a6 += xs[6] * d
						a7 += xs[7] * d
						xo += xstepB
						do += coutB
						d = *(*T)(unsafe.Add(db, do))
						xs = (*[8]T)(unsafe.Add(xb, xo))
						a0 += xs[0] * d
						a1 += xs[1] * d
						a2 += xs[2] * d
						a3 += xs[3] * d
						a4 += xs[4] * d
						a5 += xs[5] * d
						a6 += xs[6] * d
						a7 += xs[7] * d
						xo += xstepB
						do += coutB
					}
					if ow < c.ow {
						d = *(*T)(unsafe.Add(db, do))
						xs = (*[8]T)(unsafe.Add(xb, xo))
						a0 += xs[0] * d
						a1 += xs[1] * d
						a2 += xs[2] * d
						a3 += xs[3] * d
						a4 += xs[4] * d
						a5 += xs[5] * d
						a6 += xs[6] * d
						a7 += xs[7] * d
						xo += xstepB
						do += coutB
					}
				}
				r := kh*seg + j
				dw[r*cout+co] += a0
				dw[(r+1)*cout+co] += a1
				dw[(r+2)*cout+co] += a2
				dw[(r+3)*cout+co] += a3
				dw[(r+4)*cout+co] += a4
				dw[(r+5)*cout+co] += a5
				dw[(r+6)*cout+co] += a6
				dw[(r+7)*cout+co] += a7
			}
			for ; j < seg; j++ {
				var a T
				for oh := 0; oh < c.oh; oh++ {
					xo := (oh*s+kh)*rowPad + j
					do := oh*c.ow*cout + co
					for range c.ow {
						a += xp[xo] * dy[do]
						xo += xstep
						do += cout
					}
				}
				dw[(kh*seg+j)*cout+co] += a
			}
		}
	}
}

// forwardImage1 is forwardImage for Cout == 1 with bias value bias, where
// the kernel rows of one kh are contiguous. It computes four horizontally
// adjacent output pixels at a time so that each kernel value loaded serves
// four multiply-adds, with the loop over the 3*Cin taps of one kernel row
// unrolled by four.
func (c *Conv[T]) forwardImage1(y, xp, w []T, bias T) {
	cin, s := c.g.Cin, c.g.Stride
	seg := 3 * cin
	rowPad := c.wp * cin
	xstep := s * cin
	sz := unsafe.Sizeof(bias)
	cinB := uintptr(cin) * sz
	for oh := 0; oh < c.oh; oh++ {
		yr := y[oh*c.ow : (oh+1)*c.ow]
		ow := 0
		if s == 1 {
			// Tiles of eight adjacent outputs: for each kernel row and
			// input channel, the ten inputs the tile reads are loaded
			// once and each serves up to three outputs (kw = 0, 1, 2),
			// while the three kernel values stay in registers: 13 loads
			// for 24 multiply-adds, against 5 for 4 in the tiles below.
			for ; ow+8 <= c.ow; ow += 8 {
				a0, a1, a2, a3, a4, a5, a6, a7 := bias, bias, bias, bias, bias, bias, bias, bias
				for kh := range 3 {
					base := (oh+kh)*rowPad + ow*cin
					// The tile's last input, checked once; the loads below
					// go through pointers (see uncheckedLoads).
					_ = xp[base+10*cin-1]
					w0s := w[kh*seg : kh*seg+cin]
					w1s := w[kh*seg+cin : kh*seg+2*cin]
					w2s := w[kh*seg+2*cin : kh*seg+3*cin]
					w1s, w2s = w1s[:len(w0s)], w2s[:len(w0s)]
					xb := unsafe.Pointer(&xp[base])
					var x T
					for ci, w0 := range w0s {
						w1, w2 := w1s[ci], w2s[ci]
						p := unsafe.Add(xb, uintptr(ci)*sz)
						x = *(*T)(p)
						a0 += x * w0
						x = *(*T)(unsafe.Add(p, 1*cinB))
						a1 += x * w0
						a0 += x * w1
						x = *(*T)(unsafe.Add(p, 2*cinB))
						a2 += x * w0
						a1 += x * w1
						a0 += x * w2
						x = *(*T)(unsafe.Add(p, 3*cinB))
						a3 += x * w0
						a2 += x * w1
						a1 += x * w2
						x = *(*T)(unsafe.Add(p, 4*cinB))
						a4 += x * w0
						a3 += x * w1
						a2 += x * w2
						x = *(*T)(unsafe.Add(p, 5*cinB))
						a5 += x * w0
						a4 += x * w1
						a3 += x * w2
						x = *(*T)(unsafe.Add(p, 6*cinB))
						a6 += x * w0
						a5 += x * w1
						a4 += x * w2
						x = *(*T)(unsafe.Add(p, 7*cinB))
						a7 += x * w0
						a6 += x * w1
						a5 += x * w2
						x = *(*T)(unsafe.Add(p, 8*cinB))
						a7 += x * w1
						a6 += x * w2
						x = *(*T)(unsafe.Add(p, 9*cinB))
						a7 += x * w2
					}
				}
				r := (*[8]T)(yr[ow : ow+8])
				r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] = a0, a1, a2, a3, a4, a5, a6, a7
			}
		}
		for ; ow+4 <= c.ow; ow += 4 {
			a0, a1, a2, a3 := bias, bias, bias, bias
			for kh := range 3 {
				ws := w[kh*seg : (kh+1)*seg]
				b := (oh*s+kh)*rowPad + ow*xstep
				x0 := xp[b : b+seg]
				x1 := xp[b+xstep : b+xstep+seg]
				x2 := xp[b+2*xstep : b+2*xstep+seg]
				x3 := xp[b+3*xstep : b+3*xstep+seg]
				x0, x1, x2, x3 = x0[:len(ws)], x1[:len(ws)], x2[:len(ws)], x3[:len(ws)]
				var wv T
				j := 0
				for ; j+4 <= len(ws); j += 4 {
					wv = ws[j+0]
					a0 += x0[j+0] * wv
					a1 += x1[j+0] * wv
					a2 += x2[j+0] * wv
					a3 += x3[j+0] * wv
					wv = ws[j+1]
					a0 += x0[j+1] * wv
					a1 += x1[j+1] * wv
					a2 += x2[j+1] * wv
					a3 += x3[j+1] * wv
					wv = ws[j+2]
					a0 += x0[j+2] * wv
					a1 += x1[j+2] * wv
					a2 += x2[j+2] * wv
					a3 += x3[j+2] * wv
					wv = ws[j+3]
					a0 += x0[j+3] * wv
					a1 += x1[j+3] * wv
					a2 += x2[j+3] * wv
					a3 += x3[j+3] * wv
				}
				for ; j < len(ws); j++ {
					wv = ws[j+0]
					a0 += x0[j+0] * wv
					a1 += x1[j+0] * wv
					a2 += x2[j+0] * wv
					a3 += x3[j+0] * wv
				}
			}
			r := (*[4]T)(yr[ow : ow+4])
			r[0], r[1], r[2], r[3] = a0, a1, a2, a3
		}
		for ; ow < c.ow; ow++ {
			var a0, a1 T
			for kh := range 3 {
				ws := w[kh*seg : (kh+1)*seg]
				b := (oh*s+kh)*rowPad + ow*xstep
				xs := xp[b : b+seg]
				xs = xs[:len(ws)]
				j := 0
				for ; j+2 <= len(ws); j += 2 {
					a0 += xs[j] * ws[j]
					a1 += xs[j+1] * ws[j+1]
				}
				for ; j < len(ws); j++ {
					a0 += xs[j] * ws[j]
				}
			}
			yr[ow] = bias + (a0 + a1)
		}
	}
}

// backInputImage1 is backInputImage for Cout == 1, where the kernel rows of
// one kh are contiguous.
func (c *Conv[T]) backInputImage1(dxp, dy, w []T) {
	cin, s := c.g.Cin, c.g.Stride
	seg := 3 * cin
	rowPad := c.wp * cin
	for oh := 0; oh < c.oh; oh++ {
		ow := 0
		if s == 1 {
			// Four adjacent output pixels scatter into six consecutive
			// padded pixels; gather the contributions to each of those
			// once instead of updating it up to three times.
			for ; ow+4 <= c.ow; ow += 4 {
				d := (*[4]T)(dy[oh*c.ow+ow : oh*c.ow+ow+4])
				d0, d1, d2, d3 := d[0], d[1], d[2], d[3]
				for kh := range 3 {
					w0 := w[kh*seg : kh*seg+cin]
					w1 := w[kh*seg+cin : kh*seg+2*cin]
					w2 := w[kh*seg+2*cin : kh*seg+3*cin]
					b := (oh+kh)*rowPad + ow*cin
					x0 := dxp[b : b+cin]
					x1 := dxp[b+cin : b+2*cin]
					x2 := dxp[b+2*cin : b+3*cin]
					x3 := dxp[b+3*cin : b+4*cin]
					x4 := dxp[b+4*cin : b+5*cin]
					x5 := dxp[b+5*cin : b+6*cin]
					w1, w2 = w1[:len(w0)], w2[:len(w0)]
					x0, x1, x2, x3, x4, x5 = x0[:len(w0)], x1[:len(w0)], x2[:len(w0)], x3[:len(w0)], x4[:len(w0)], x5[:len(w0)]
					for i, v0 := range w0 {
						v1, v2 := w1[i], w2[i]
						x0[i] += v0 * d0
						x1[i] += v1*d0 + v0*d1
						x2[i] += (v2*d0 + v1*d1) + v0*d2
						x3[i] += (v2*d1 + v1*d2) + v0*d3
						x4[i] += v2*d2 + v1*d3
						x5[i] += v2 * d3
					}
				}
			}
		}
		for ; ow < c.ow; ow++ {
			d := dy[oh*c.ow+ow]
			base := oh*s*rowPad + ow*s*cin
			for kh := range 3 {
				ws := w[kh*seg : (kh+1)*seg]
				xs := dxp[base+kh*rowPad : base+kh*rowPad+seg]
				xs = xs[:len(ws)]
				for j, wv := range ws {
					xs[j] += wv * d
				}
			}
		}
	}
}

// forwardImage4 is forwardImage for Cout a multiple of 4. It computes tiles
// of two horizontally adjacent output pixels by four output channels, in
// eight accumulators held in local variables, so that each kernel value
// loaded serves two multiply-adds and each input value four. For each kernel
// row kh the 3*Cin taps run in a loop unrolled by four, with the remaining
// Seg mod 4 taps written out after it (so Cin 1 needs no inner loop at all).
// An odd last output column goes through a one-pixel tile.
func forwardImage4[T Float](l *layout, y, xp, w, bias []T) {
	cin, cout, s := l.cin, l.cout, l.s
	seg := 3 * cin
	rowPad := l.rowPad
	xstep := s * cin
	w = w[:9*cin*cout]
	// Every kernel load below is of four values at o = (kh*3*Cin+tap)*Cout
	// + co, co+4 <= Cout, so within w: they go through a pointer (see
	// uncheckedLoads).
	wb, sz := unsafe.Pointer(&w[0]), unsafe.Sizeof(w[0])
	var wr *[4]T
	var v0, v1 T
	for oh := 0; oh < l.oh; oh++ {
		yr := y[oh*l.ow*cout : (oh+1)*l.ow*cout]
		ow := 0
		for ; ow+2 <= l.ow; ow += 2 {
			b0 := oh*s*rowPad + ow*xstep
			for co := 0; co < cout; co += 4 {
				bb := (*[4]T)(bias[co : co+4])
				a00, a01, a02, a03 := bb[0], bb[1], bb[2], bb[3]
				a10, a11, a12, a13 := a00, a01, a02, a03
				for kh := range 3 {
					b := b0 + kh*rowPad
					x0 := xp[b : b+seg]
					x1 := xp[b+xstep : b+xstep+seg]
					x1 = x1[:len(x0)]
					o := kh*seg*cout + co
					j := 0
					for ; j+4 <= len(x0); j += 4 {
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0, v1 = x0[j+0], x1[j+0]
						a00 += v0 * wr[0]
						a10 += v1 * wr[0]
						a01 += v0 * wr[1]
						a11 += v1 * wr[1]
						a02 += v0 * wr[2]
						a12 += v1 * wr[2]
						a03 += v0 * wr[3]
						a13 += v1 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0, v1 = x0[j+1], x1[j+1]
						a00 += v0 * wr[0]
						a10 += v1 * wr[0]
						a01 += v0 * wr[1]
						a11 += v1 * wr[1]
						a02 += v0 * wr[2]
						a12 += v1 * wr[2]
						a03 += v0 * wr[3]
						a13 += v1 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0, v1 = x0[j+2], x1[j+2]
						a00 += v0 * wr[0]
						a10 += v1 * wr[0]
						a01 += v0 * wr[1]
						a11 += v1 * wr[1]
						a02 += v0 * wr[2]
						a12 += v1 * wr[2]
						a03 += v0 * wr[3]
						a13 += v1 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0, v1 = x0[j+3], x1[j+3]
						a00 += v0 * wr[0]
						a10 += v1 * wr[0]
						a01 += v0 * wr[1]
						a11 += v1 * wr[1]
						a02 += v0 * wr[2]
						a12 += v1 * wr[2]
						a03 += v0 * wr[3]
						a13 += v1 * wr[3]
						o += cout
					}
					// The remaining seg mod 4 taps, without a loop.
					switch len(x0) - j {
					case 3:
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0, v1 = x0[j+0], x1[j+0]
						a00 += v0 * wr[0]
						a10 += v1 * wr[0]
						a01 += v0 * wr[1]
						a11 += v1 * wr[1]
						a02 += v0 * wr[2]
						a12 += v1 * wr[2]
						a03 += v0 * wr[3]
						a13 += v1 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0, v1 = x0[j+1], x1[j+1]
						a00 += v0 * wr[0]
						a10 += v1 * wr[0]
						a01 += v0 * wr[1]
						a11 += v1 * wr[1]
						a02 += v0 * wr[2]
						a12 += v1 * wr[2]
						a03 += v0 * wr[3]
						a13 += v1 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0, v1 = x0[j+2], x1[j+2]
						a00 += v0 * wr[0]
						a10 += v1 * wr[0]
						a01 += v0 * wr[1]
						a11 += v1 * wr[1]
						a02 += v0 * wr[2]
						a12 += v1 * wr[2]
						a03 += v0 * wr[3]
						a13 += v1 * wr[3]
						o += cout
					case 2:
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0, v1 = x0[j+0], x1[j+0]
						a00 += v0 * wr[0]
						a10 += v1 * wr[0]
						a01 += v0 * wr[1]
						a11 += v1 * wr[1]
						a02 += v0 * wr[2]
						a12 += v1 * wr[2]
						a03 += v0 * wr[3]
						a13 += v1 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0, v1 = x0[j+1], x1[j+1]
						a00 += v0 * wr[0]
						a10 += v1 * wr[0]
						a01 += v0 * wr[1]
						a11 += v1 * wr[1]
						a02 += v0 * wr[2]
						a12 += v1 * wr[2]
						a03 += v0 * wr[3]
						a13 += v1 * wr[3]
						o += cout
					case 1:
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0, v1 = x0[j+0], x1[j+0]
						a00 += v0 * wr[0]
						a10 += v1 * wr[0]
						a01 += v0 * wr[1]
						a11 += v1 * wr[1]
						a02 += v0 * wr[2]
						a12 += v1 * wr[2]
						a03 += v0 * wr[3]
						a13 += v1 * wr[3]
						o += cout
					}
				}
				r := (*[4]T)(yr[ow*cout+co : ow*cout+co+4])
				r[0], r[1], r[2], r[3] = a00, a01, a02, a03
				r = (*[4]T)(yr[(ow+1)*cout+co : (ow+1)*cout+co+4])
				r[0], r[1], r[2], r[3] = a10, a11, a12, a13
			}
		}
		if ow < l.ow {
			b0 := oh*s*rowPad + ow*xstep
			for co := 0; co < cout; co += 4 {
				bb := (*[4]T)(bias[co : co+4])
				a00, a01, a02, a03 := bb[0], bb[1], bb[2], bb[3]
				for kh := range 3 {
					b := b0 + kh*rowPad
					x0 := xp[b : b+seg]
					o := kh*seg*cout + co
					j := 0
					for ; j+4 <= len(x0); j += 4 {
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0 = x0[j+0]
						a00 += v0 * wr[0]
						a01 += v0 * wr[1]
						a02 += v0 * wr[2]
						a03 += v0 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0 = x0[j+1]
						a00 += v0 * wr[0]
						a01 += v0 * wr[1]
						a02 += v0 * wr[2]
						a03 += v0 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0 = x0[j+2]
						a00 += v0 * wr[0]
						a01 += v0 * wr[1]
						a02 += v0 * wr[2]
						a03 += v0 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0 = x0[j+3]
						a00 += v0 * wr[0]
						a01 += v0 * wr[1]
						a02 += v0 * wr[2]
						a03 += v0 * wr[3]
						o += cout
					}
					// The remaining seg mod 4 taps, without a loop.
					switch len(x0) - j {
					case 3:
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0 = x0[j+0]
						a00 += v0 * wr[0]
						a01 += v0 * wr[1]
						a02 += v0 * wr[2]
						a03 += v0 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0 = x0[j+1]
						a00 += v0 * wr[0]
						a01 += v0 * wr[1]
						a02 += v0 * wr[2]
						a03 += v0 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0 = x0[j+2]
						a00 += v0 * wr[0]
						a01 += v0 * wr[1]
						a02 += v0 * wr[2]
						a03 += v0 * wr[3]
						o += cout
					case 2:
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0 = x0[j+0]
						a00 += v0 * wr[0]
						a01 += v0 * wr[1]
						a02 += v0 * wr[2]
						a03 += v0 * wr[3]
						o += cout
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0 = x0[j+1]
						a00 += v0 * wr[0]
						a01 += v0 * wr[1]
						a02 += v0 * wr[2]
						a03 += v0 * wr[3]
						o += cout
					case 1:
						wr = (*[4]T)(unsafe.Add(wb, uintptr(o)*sz))
						v0 = x0[j+0]
						a00 += v0 * wr[0]
						a01 += v0 * wr[1]
						a02 += v0 * wr[2]
						a03 += v0 * wr[3]
						o += cout
					}
				}
				r := (*[4]T)(yr[ow*cout+co : ow*cout+co+4])
				r[0], r[1], r[2], r[3] = a00, a01, a02, a03
			}
		}
	}
}

// backFilterImage4 is backFilterImage for Cout a multiple of 4. For each
// kernel row kh it walks the 3*Cin taps in pairs and the output channels in
// blocks of four, and accumulates the tile of two kernel rows by four
// channels in eight local variables over all output pixels, with the loop
// over the pixels of one output row unrolled by four (the remaining OW mod 4
// pixels written out after it). Each input value loaded serves four
// multiply-adds and each output-gradient value two. An odd last tap goes
// through a one-row tile.
func backFilterImage4[T Float](l *layout, dw, xp, dy []T) {
	cin, cout, s := l.cin, l.cout, l.s
	seg := 3 * cin
	rowPad := l.rowPad
	xstep := s * cin
	rowOut := l.ow * cout
	dw = dw[:9*cin*cout]
	dy = dy[:l.oh*rowOut]
	var d *[4]T
	var v0, v1 T
	sz := unsafe.Sizeof(v0)
	xstepB, coutB := uintptr(xstep)*sz, uintptr(cout)*sz
	for kh := range 3 {
		j := 0
		for ; j+2 <= seg; j += 2 {
			r := kh*seg + j
			for co := 0; co < cout; co += 4 {
				var a00, a01, a02, a03, a10, a11, a12, a13 T
				for oh := 0; oh < l.oh; oh++ {
					xs := xp[(oh*s+kh)*rowPad+j:]
					ds := dy[oh*rowOut+co : (oh+1)*rowOut]
					// The row's last loads, checked once here; the loop
					// below reads through pointers (see uncheckedLoads).
					_ = xs[(l.ow-1)*xstep+1]
					_ = ds[(l.ow-1)*cout+3]
					xb, db := unsafe.Pointer(&xs[0]), unsafe.Pointer(&ds[0])
					xo, do := uintptr(0), uintptr(0)
					ow := 0
					for ; ow+4 <= l.ow; ow += 4 {
						v0, v1 = *(*T)(unsafe.Add(xb, xo)), *(*T)(unsafe.Add(xb, xo+sz))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a10 += v1 * d[0]
						a01 += v0 * d[1]
						a11 += v1 * d[1]
						a02 += v0 * d[2]
						a12 += v1 * d[2]
						a03 += v0 * d[3]
						a13 += v1 * d[3]
						xo += xstepB
						do += coutB
						v0, v1 = *(*T)(unsafe.Add(xb, xo)), *(*T)(unsafe.Add(xb, xo+sz))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a10 += v1 * d[0]
						a01 += v0 * d[1]
						a11 += v1 * d[1]
						a02 += v0 * d[2]
						a12 += v1 * d[2]
						a03 += v0 * d[3]
						a13 += v1 * d[3]
						xo += xstepB
						do += coutB
						v0, v1 = *(*T)(unsafe.Add(xb, xo)), *(*T)(unsafe.Add(xb, xo+sz))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a10 += v1 * d[0]
						a01 += v0 * d[1]
						a11 += v1 * d[1]
						a02 += v0 * d[2]
						a12 += v1 * d[2]
						a03 += v0 * d[3]
						a13 += v1 * d[3]
						xo += xstepB
						do += coutB
						v0, v1 = *(*T)(unsafe.Add(xb, xo)), *(*T)(unsafe.Add(xb, xo+sz))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a10 += v1 * d[0]
						a01 += v0 * d[1]
						a11 += v1 * d[1]
						a02 += v0 * d[2]
						a12 += v1 * d[2]
						a03 += v0 * d[3]
						a13 += v1 * d[3]
						xo += xstepB
						do += coutB
					}
					switch l.ow - ow {
					case 3:
						v0, v1 = *(*T)(unsafe.Add(xb, xo)), *(*T)(unsafe.Add(xb, xo+sz))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a10 += v1 * d[0]
						a01 += v0 * d[1]
						a11 += v1 * d[1]
						a02 += v0 * d[2]
						a12 += v1 * d[2]
						a03 += v0 * d[3]
						a13 += v1 * d[3]
						xo += xstepB
						do += coutB
						v0, v1 = *(*T)(unsafe.Add(xb, xo)), *(*T)(unsafe.Add(xb, xo+sz))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a10 += v1 * d[0]
						a01 += v0 * d[1]
						a11 += v1 * d[1]
						a02 += v0 * d[2]
						a12 += v1 * d[2]
						a03 += v0 * d[3]
						a13 += v1 * d[3]
						xo += xstepB
						do += coutB
						v0, v1 = *(*T)(unsafe.Add(xb, xo)), *(*T)(unsafe.Add(xb, xo+sz))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a10 += v1 * d[0]
						a01 += v0 * d[1]
						a11 += v1 * d[1]
						a02 += v0 * d[2]
						a12 += v1 * d[2]
						a03 += v0 * d[3]
						a13 += v1 * d[3]
						xo += xstepB
						do += coutB
					case 2:
						v0, v1 = *(*T)(unsafe.Add(xb, xo)), *(*T)(unsafe.Add(xb, xo+sz))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a10 += v1 * d[0]
						a01 += v0 * d[1]
						a11 += v1 * d[1]
						a02 += v0 * d[2]
						a12 += v1 * d[2]
						a03 += v0 * d[3]
						a13 += v1 * d[3]
						xo += xstepB
						do += coutB
						v0, v1 = *(*T)(unsafe.Add(xb, xo)), *(*T)(unsafe.Add(xb, xo+sz))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a10 += v1 * d[0]
						a01 += v0 * d[1]
						a11 += v1 * d[1]
						a02 += v0 * d[2]
						a12 += v1 * d[2]
						a03 += v0 * d[3]
						a13 += v1 * d[3]
						xo += xstepB
						do += coutB
					case 1:
						v0, v1 = *(*T)(unsafe.Add(xb, xo)), *(*T)(unsafe.Add(xb, xo+sz))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a10 += v1 * d[0]
						a01 += v0 * d[1]
						a11 += v1 * d[1]
						a02 += v0 * d[2]
						a12 += v1 * d[2]
						a03 += v0 * d[3]
						a13 += v1 * d[3]
						xo += xstepB
						do += coutB
					}
				}
				g := (*[4]T)(dw[r*cout+co : r*cout+co+4])
				g[0] += a00
				g[1] += a01
				g[2] += a02
				g[3] += a03
				g = (*[4]T)(dw[(r+1)*cout+co : (r+1)*cout+co+4])
				g[0] += a10
				g[1] += a11
				g[2] += a12
				g[3] += a13
			}
		}
		if j < seg {
			r := kh*seg + j
			for co := 0; co < cout; co += 4 {
				var a00, a01, a02, a03 T
				for oh := 0; oh < l.oh; oh++ {
					xs := xp[(oh*s+kh)*rowPad+j:]
					ds := dy[oh*rowOut+co : (oh+1)*rowOut]
					_ = xs[(l.ow-1)*xstep]
					_ = ds[(l.ow-1)*cout+3]
					xb, db := unsafe.Pointer(&xs[0]), unsafe.Pointer(&ds[0])
					xo, do := uintptr(0), uintptr(0)
					ow := 0
					for ; ow+4 <= l.ow; ow += 4 {
						v0 = *(*T)(unsafe.Add(xb, xo))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a01 += v0 * d[1]
						a02 += v0 * d[2]
						a03 += v0 * d[3]
						xo += xstepB
						do += coutB
						v0 = *(*T)(unsafe.Add(xb, xo))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a01 += v0 * d[1]
						a02 += v0 * d[2]
						a03 += v0 * d[3]
						xo += xstepB
						do += coutB
						v0 = *(*T)(unsafe.Add(xb, xo))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a01 += v0 * d[1]
						a02 += v0 * d[2]
						a03 += v0 * d[3]
						xo += xstepB
						do += coutB
						v0 = *(*T)(unsafe.Add(xb, xo))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a01 += v0 * d[1]
						a02 += v0 * d[2]
						a03 += v0 * d[3]
						xo += xstepB
						do += coutB
					}
					switch l.ow - ow {
					case 3:
						v0 = *(*T)(unsafe.Add(xb, xo))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a01 += v0 * d[1]
						a02 += v0 * d[2]
						a03 += v0 * d[3]
						xo += xstepB
						do += coutB
						v0 = *(*T)(unsafe.Add(xb, xo))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a01 += v0 * d[1]
						a02 += v0 * d[2]
						a03 += v0 * d[3]
						xo += xstepB
						do += coutB
						v0 = *(*T)(unsafe.Add(xb, xo))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a01 += v0 * d[1]
						a02 += v0 * d[2]
						a03 += v0 * d[3]
						xo += xstepB
						do += coutB
					case 2:
						v0 = *(*T)(unsafe.Add(xb, xo))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a01 += v0 * d[1]
						a02 += v0 * d[2]
						a03 += v0 * d[3]
						xo += xstepB
						do += coutB
						v0 = *(*T)(unsafe.Add(xb, xo))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a01 += v0 * d[1]
						a02 += v0 * d[2]
						a03 += v0 * d[3]
						xo += xstepB
						do += coutB
					case 1:
						v0 = *(*T)(unsafe.Add(xb, xo))
						d = (*[4]T)(unsafe.Add(db, do))
						a00 += v0 * d[0]
						a01 += v0 * d[1]
						a02 += v0 * d[2]
						a03 += v0 * d[3]
						xo += xstepB
						do += coutB
					}
				}
				g := (*[4]T)(dw[r*cout+co : r*cout+co+4])
				g[0] += a00
				g[1] += a01
				g[2] += a02
				g[3] += a03
			}
		}
	}
}

// backInputImage8 is backInputImage for Cout a multiple of 8. For each
// output pixel and block of eight output channels it holds the eight
// output-gradient values in local variables and, for each kernel row kh,
// adds to each of the 3*Cin padded-image elements that kernel row touches
// the dot product of its eight kernel values with them, in a loop unrolled
// by four with the remaining taps written out after it.
func backInputImage8[T Float](l *layout, dxp, dy, w []T) {
	cin, cout, s := l.cin, l.cout, l.s
	seg := 3 * cin
	rowPad := l.rowPad
	w = w[:9*cin*cout]
	// Every kernel load below is of eight values at o = (kh*3*Cin+tap)*Cout
	// + co, co+8 <= Cout, so within w: they go through a pointer (see
	// uncheckedLoads).
	wb, sz := unsafe.Pointer(&w[0]), unsafe.Sizeof(w[0])
	var wr *[8]T
	for oh := 0; oh < l.oh; oh++ {
		for ow := 0; ow < l.ow; ow++ {
			base := oh*s*rowPad + ow*s*cin
			dp := dy[(oh*l.ow+ow)*cout : (oh*l.ow+ow+1)*cout]
			for co := 0; co < cout; co += 8 {
				dd := (*[8]T)(dp[co : co+8])
				d0, d1, d2, d3, d4, d5, d6, d7 := dd[0], dd[1], dd[2], dd[3], dd[4], dd[5], dd[6], dd[7]
				for kh := range 3 {
					xs := dxp[base+kh*rowPad : base+kh*rowPad+seg]
					o := kh*seg*cout + co
					j := 0
					for ; j+4 <= len(xs); j += 4 {
						wr = (*[8]T)(unsafe.Add(wb, uintptr(o)*sz))
						xs[j+0] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
						wr = (*[8]T)(unsafe.Add(wb, uintptr(o)*sz))
						xs[j+1] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
						wr = (*[8]T)(unsafe.Add(wb, uintptr(o)*sz))
						xs[j+2] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
						wr = (*[8]T)(unsafe.Add(wb, uintptr(o)*sz))
						xs[j+3] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
					}
					switch len(xs) - j {
					case 3:
						wr = (*[8]T)(unsafe.Add(wb, uintptr(o)*sz))
						xs[j+0] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
						wr = (*[8]T)(unsafe.Add(wb, uintptr(o)*sz))
						xs[j+1] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
						wr = (*[8]T)(unsafe.Add(wb, uintptr(o)*sz))
						xs[j+2] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
					case 2:
						wr = (*[8]T)(unsafe.Add(wb, uintptr(o)*sz))
						xs[j+0] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
						wr = (*[8]T)(unsafe.Add(wb, uintptr(o)*sz))
						xs[j+1] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
					case 1:
						wr = (*[8]T)(unsafe.Add(wb, uintptr(o)*sz))
						xs[j+0] += ((wr[0]*d0 + wr[1]*d1) + (wr[2]*d2 + wr[3]*d3)) +
							((wr[4]*d4 + wr[5]*d5) + (wr[6]*d6 + wr[7]*d7))
						o += cout
					}
				}
			}
		}
	}
}
