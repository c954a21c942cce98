package kernel

import (
	"math"
	"unsafe"
)

// isF32 reports whether T is a 4-byte Float, that is, has underlying type
// float32.
func isF32[T Float]() bool {
	var zero T
	return unsafe.Sizeof(zero) == 4
}

// BiasAct applies y = act(y + b) in place over consecutive rows of len(b)
// elements. b may be nil, in which case only the activation is applied. It
// panics if b is not nil and len(y) is not a multiple of len(b).
func BiasAct[T Float](y, b []T, act Act) {
	if len(b) > 0 && len(y)%len(b) != 0 {
		panic("kernel: BiasAct: len(y) is not a multiple of len(b)")
	}
	if act != ActNone && act != ActReLU && act != ActSigmoid {
		panic("kernel: unknown activation " + act.String())
	}
	if vectorEnabled && isF32[T]() && len(y) > 0 {
		if len(b) > 0 {
			biasAddVec(f32(y), f32(b))
		}
		switch act {
		case ActReLU:
			reluVec(f32(y))
		case ActSigmoid:
			sigmoidVec(f32(y))
		}
		return
	} else {
		if len(b) > 0 {
			biasAdd(y, b)
		}
		if act == ActReLU {
			relu(y)
			return
		}
	}
	if act == ActSigmoid {
		for i, v := range y {
			y[i] = T(1 / (1 + math.Exp(-float64(v))))
		}
	}
}

// copyBiasReLU32 sets dst to relu(src + b), b added to each consecutive row
// of len(b) elements, with the same operations as biasAdd then relu: it
// stores the sums, then clears the negative ones through dst's bits (see
// bits32), row by row while they are in cache.
func copyBiasReLU32(dst, src, b []float32) {
	src = src[:len(dst)]
	db := bits32(dst)
	if len(b) == 8 {
		b0, b1, b2, b3, b4, b5, b6, b7 := b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]
		for i := 0; i+8 <= len(dst); i += 8 {
			s, d := (*[8]float32)(src[i:i+8]), (*[8]float32)(dst[i:i+8])
			d[0], d[1], d[2], d[3] = s[0]+b0, s[1]+b1, s[2]+b2, s[3]+b3
			d[4], d[5], d[6], d[7] = s[4]+b4, s[5]+b5, s[6]+b6, s[7]+b7
			u := (*[8]uint32)(db[i : i+8])
			u[0], u[1], u[2], u[3] = reluBits(u[0]), reluBits(u[1]), reluBits(u[2]), reluBits(u[3])
			u[4], u[5], u[6], u[7] = reluBits(u[4]), reluBits(u[5]), reluBits(u[6]), reluBits(u[7])
		}
		return
	}
	if len(b) == 16 {
		bb := (*[16]float32)(b)
		for i := 0; i+16 <= len(dst); i += 16 {
			s, d := (*[16]float32)(src[i:i+16]), (*[16]float32)(dst[i:i+16])
			d[0], d[1], d[2], d[3] = s[0]+bb[0], s[1]+bb[1], s[2]+bb[2], s[3]+bb[3]
			d[4], d[5], d[6], d[7] = s[4]+bb[4], s[5]+bb[5], s[6]+bb[6], s[7]+bb[7]
			d[8], d[9], d[10], d[11] = s[8]+bb[8], s[9]+bb[9], s[10]+bb[10], s[11]+bb[11]
			d[12], d[13], d[14], d[15] = s[12]+bb[12], s[13]+bb[13], s[14]+bb[14], s[15]+bb[15]
			u := (*[16]uint32)(db[i : i+16])
			u[0], u[1], u[2], u[3] = reluBits(u[0]), reluBits(u[1]), reluBits(u[2]), reluBits(u[3])
			u[4], u[5], u[6], u[7] = reluBits(u[4]), reluBits(u[5]), reluBits(u[6]), reluBits(u[7])
			u[8], u[9], u[10], u[11] = reluBits(u[8]), reluBits(u[9]), reluBits(u[10]), reluBits(u[11])
			u[12], u[13], u[14], u[15] = reluBits(u[12]), reluBits(u[13]), reluBits(u[14]), reluBits(u[15])
		}
		return
	}
	for i := 0; i+len(b) <= len(dst); i += len(b) {
		s, d := src[i:i+len(b)], dst[i:i+len(b)]
		s = s[:len(d)]
		for j, bv := range b[:len(d)] {
			d[j] = s[j] + bv
		}
		u := db[i : i+len(b)]
		for j, v := range u {
			u[j] = reluBits(v)
		}
	}
}

// reluBits returns the bits of max(v, 0) given v's bits, as relu computes
// it: a set sign bit clears the value.
func reluBits(v uint32) uint32 { return v &^ uint32(int32(v)>>31) }

// biasAdd adds b to each consecutive row of len(b) elements of y.
func biasAdd[T Float](y, b []T) {
	switch len(b) {
	case 1:
		v := b[0]
		for i := range y {
			y[i] += v
		}
	case 8:
		bb := (*[8]T)(b)
		for i := 0; i+8 <= len(y); i += 8 {
			r := (*[8]T)(y[i : i+8])
			r[0] += bb[0]
			r[1] += bb[1]
			r[2] += bb[2]
			r[3] += bb[3]
			r[4] += bb[4]
			r[5] += bb[5]
			r[6] += bb[6]
			r[7] += bb[7]
		}
	default:
		for i := 0; i+len(b) <= len(y); i += len(b) {
			addTo(y[i:i+len(b)], b)
		}
	}
}

// ActBackward computes dpre[i] = dy[i] * act'(pre[i]), expressed through the
// activation output y[i] = act(pre[i]): for ReLU dy if y > 0 and 0 otherwise,
// for sigmoid dy*y*(1-y), for ActNone dy. dpre may alias dy. It panics if
// the three slices differ in length.
func ActBackward[T Float](act Act, dpre, y, dy []T) {
	if len(y) != len(dpre) || len(dy) != len(dpre) {
		panic("kernel: ActBackward: slice lengths differ")
	}
	switch act {
	case ActNone:
		copy(dpre, dy)
	case ActReLU:
		if vectorEnabled && isF32[T]() && len(y) > 0 {
			reluBackwardVec(f32(dpre), f32(y), f32(dy))
			return
		}
		if isF32[T]() {
			reluBackward32(f32(dpre), f32(y), f32(dy))
			return
		}
		y, dy = y[:len(dpre)], dy[:len(dpre)]
		for i, v := range y {
			d := dy[i]
			if !(v > 0) {
				d = 0
			}
			dpre[i] = d
		}
	case ActSigmoid:
		if vectorEnabled && isF32[T]() && len(y) > 0 {
			sigmoidBackwardVec(f32(dpre), f32(y), f32(dy))
			return
		}
		y, dy = y[:len(dpre)], dy[:len(dpre)]
		for i, v := range y {
			dpre[i] = dy[i] * v * (1 - v)
		}
	default:
		panic("kernel: unknown activation " + act.String())
	}
}

// The float32 ReLU passes below work on the bits of the values, through
// uint32 views of the slices (bits32), rather than through
// math.Float32bits: Go's WebAssembly backend moves a float32 to an integer
// register by a store and a load through the stack, three round trips per
// element here, while a uint32 view loads the bits directly. Masks replace
// branches, which Go's WebAssembly code takes through a jump table and
// which data of random sign would mispredict half the time anyway.

// bits32 returns the bits of s as a []uint32 over the same memory.
func bits32(s []float32) []uint32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), len(s))
}

// reluMask returns all ones if the float32 with bits y is > 0, else 0:
// y > 0 exactly when its bits, read as an unsigned integer, lie in
// [1, 0x7f800000] (+Inf included; zeros, negatives and NaNs excluded),
// which one comparison of y-1 decides, and an arithmetic shift turns
// into a mask.
func reluMask(y uint32) uint32 {
	return uint32((int64(y-1) - 0x7f800000) >> 63)
}

// reluBackward32 is ActBackward's ReLU for float32: bit for bit the
// branching loop's result.
func reluBackward32(dpre, y, dy []float32) {
	pb, yb, db := bits32(dpre), bits32(y), bits32(dy)
	yb, db = yb[:len(pb)], db[:len(pb)]
	for i, v := range yb {
		pb[i] = db[i] & reluMask(v)
	}
}

// reluGrad returns d if y > 0 and +0 otherwise, as reluBackward32 does
// for one element.
func reluGrad(y, d float32) float32 {
	return math.Float32frombits(math.Float32bits(d) & reluMask(math.Float32bits(y)))
}

// ActBackwardSum computes ActBackward(act, dpre, y, dy) and then
// SumRows(db, dpre), the gradients of a layer's pre-activation and of its
// bias, with the same results; without vector kernels it does both in one
// pass. dpre may alias dy. It panics if the slice lengths differ or
// len(dpre) is not a multiple of len(db).
func ActBackwardSum[T Float](act Act, dpre, y, dy, db []T) {
	if len(y) != len(dpre) || len(dy) != len(dpre) {
		panic("kernel: ActBackwardSum: slice lengths differ")
	}
	if len(db) == 0 || len(dpre)%len(db) != 0 {
		panic("kernel: ActBackwardSum: len(dpre) is not a multiple of len(db)")
	}
	if act != ActReLU || !isF32[T]() || vectorEnabled {
		ActBackward(act, dpre, y, dy)
		SumRows(db, dpre)
		return
	}
	reluBackwardSum32(f32(dpre), f32(y), f32(dy), f32(db))
}

// reluBackwardSum32 is reluBackward32 that also sums the rows of dpre into
// db, column by column in increasing row order, as sumRowsAdd does.
func reluBackwardSum32(dpre, y, dy, db []float32) {
	clear(db)
	cols := len(db)
	pb, yb, gb := bits32(dpre), bits32(y), bits32(dy)
	yb, gb = yb[:len(pb)], gb[:len(pb)]
	// Each gradient is stored as bits and summed from the float32 view of
	// the same memory, which keeps it out of the integer-to-float move.
	if cols == 8 {
		var a0, a1, a2, a3, a4, a5, a6, a7 float32
		for i := 0; i+8 <= len(pb); i += 8 {
			yr, gr, pr := (*[8]uint32)(yb[i:i+8]), (*[8]uint32)(gb[i:i+8]), (*[8]uint32)(pb[i:i+8])
			pr[0], pr[1], pr[2], pr[3] = gr[0]&reluMask(yr[0]), gr[1]&reluMask(yr[1]), gr[2]&reluMask(yr[2]), gr[3]&reluMask(yr[3])
			pr[4], pr[5], pr[6], pr[7] = gr[4]&reluMask(yr[4]), gr[5]&reluMask(yr[5]), gr[6]&reluMask(yr[6]), gr[7]&reluMask(yr[7])
			d := (*[8]float32)(dpre[i : i+8])
			a0, a1, a2, a3 = a0+d[0], a1+d[1], a2+d[2], a3+d[3]
			a4, a5, a6, a7 = a4+d[4], a5+d[5], a6+d[6], a7+d[7]
		}
		db[0], db[1], db[2], db[3], db[4], db[5], db[6], db[7] = a0, a1, a2, a3, a4, a5, a6, a7
		return
	}
	if cols == 16 {
		// Two blocks of eight sums: sixteen would not fit in registers
		// with the rest.
		var a0, a1, a2, a3, a4, a5, a6, a7 float32
		var c0, c1, c2, c3, c4, c5, c6, c7 float32
		for i := 0; i+16 <= len(pb); i += 16 {
			yr, gr, pr := (*[16]uint32)(yb[i:i+16]), (*[16]uint32)(gb[i:i+16]), (*[16]uint32)(pb[i:i+16])
			pr[0], pr[1], pr[2], pr[3] = gr[0]&reluMask(yr[0]), gr[1]&reluMask(yr[1]), gr[2]&reluMask(yr[2]), gr[3]&reluMask(yr[3])
			pr[4], pr[5], pr[6], pr[7] = gr[4]&reluMask(yr[4]), gr[5]&reluMask(yr[5]), gr[6]&reluMask(yr[6]), gr[7]&reluMask(yr[7])
			pr[8], pr[9], pr[10], pr[11] = gr[8]&reluMask(yr[8]), gr[9]&reluMask(yr[9]), gr[10]&reluMask(yr[10]), gr[11]&reluMask(yr[11])
			pr[12], pr[13], pr[14], pr[15] = gr[12]&reluMask(yr[12]), gr[13]&reluMask(yr[13]), gr[14]&reluMask(yr[14]), gr[15]&reluMask(yr[15])
			d := (*[16]float32)(dpre[i : i+16])
			a0, a1, a2, a3 = a0+d[0], a1+d[1], a2+d[2], a3+d[3]
			a4, a5, a6, a7 = a4+d[4], a5+d[5], a6+d[6], a7+d[7]
			c0, c1, c2, c3 = c0+d[8], c1+d[9], c2+d[10], c3+d[11]
			c4, c5, c6, c7 = c4+d[12], c5+d[13], c6+d[14], c7+d[15]
		}
		db[0], db[1], db[2], db[3], db[4], db[5], db[6], db[7] = a0, a1, a2, a3, a4, a5, a6, a7
		db[8], db[9], db[10], db[11], db[12], db[13], db[14], db[15] = c0, c1, c2, c3, c4, c5, c6, c7
		return
	}
	for i := 0; i+cols <= len(pb); i += cols {
		yr, gr, pr := yb[i:i+cols], gb[i:i+cols], pb[i:i+cols]
		gr, pr = gr[:len(yr)], pr[:len(yr)]
		d := dpre[i : i+cols]
		d = d[:len(yr)]
		for j, v := range yr {
			pr[j] = gr[j] & reluMask(v)
			db[j] += d[j]
		}
	}
}

// SumRows sets db[j] to the sum over rows i of dy[i*len(db)+j], adding rows
// in increasing order so the result is deterministic. It panics if len(dy) is
// not a multiple of len(db).
func SumRows[T Float](db, dy []T) {
	if len(db) == 0 {
		if len(dy) != 0 {
			panic("kernel: SumRows: empty db with non-empty dy")
		}
		return
	}
	if len(dy)%len(db) != 0 {
		panic("kernel: SumRows: len(dy) is not a multiple of len(db)")
	}
	clear(db)
	sumRowsAdd(db, dy)
}

// sumRowsAdd adds each consecutive row of len(db) elements of dy to db, in
// increasing row order. Every column is a sequential sum, so the vector and
// scalar versions give identical results.
func sumRowsAdd[T Float](db, dy []T) {
	if vectorEnabled && isF32[T]() && len(db)%8 == 0 {
		sumRowsAddVec(f32(db), f32(dy))
		return
	}
	switch len(db) {
	case 1:
		s := db[0]
		for _, v := range dy {
			s += v
		}
		db[0] = s
	case 8:
		bb := (*[8]T)(db)
		a0, a1, a2, a3, a4, a5, a6, a7 := bb[0], bb[1], bb[2], bb[3], bb[4], bb[5], bb[6], bb[7]
		for i := 0; i+8 <= len(dy); i += 8 {
			r := (*[8]T)(dy[i : i+8])
			a0 += r[0]
			a1 += r[1]
			a2 += r[2]
			a3 += r[3]
			a4 += r[4]
			a5 += r[5]
			a6 += r[6]
			a7 += r[7]
		}
		bb[0], bb[1], bb[2], bb[3], bb[4], bb[5], bb[6], bb[7] = a0, a1, a2, a3, a4, a5, a6, a7
	default:
		for i := 0; i+len(db) <= len(dy); i += len(db) {
			addTo(db, dy[i:i+len(db)])
		}
	}
}

// addTo adds src to dst elementwise.
func addTo[T Float](dst, src []T) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// relu sets y[i] = max(y[i], 0). For float32 and float64 slices it clears
// negative values by masking their bits, which avoids a branch per element
// on data of random sign; negative zero becomes positive zero and NaNs with
// the sign bit set become zero.
func relu[T Float](y []T) {
	switch ys := any(y).(type) {
	case []float32:
		yb := bits32(ys)
		for i, b := range yb {
			yb[i] = reluBits(b)
		}
	case []float64:
		for i, v := range ys {
			b := math.Float64bits(v)
			ys[i] = math.Float64frombits(b &^ uint64(int64(b)>>63))
		}
	default:
		for i, v := range y {
			y[i] = max(v, 0)
		}
	}
}
