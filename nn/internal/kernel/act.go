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
// of len(b) elements, with the same operations as biasAdd then relu.
func copyBiasReLU32(dst, src, b []float32) {
	src = src[:len(dst)]
	if len(b) == 8 {
		b0, b1, b2, b3, b4, b5, b6, b7 := b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]
		for i := 0; i+8 <= len(dst); i += 8 {
			s, d := (*[8]float32)(src[i:i+8]), (*[8]float32)(dst[i:i+8])
			d[0], d[1], d[2], d[3] = relu32(s[0]+b0), relu32(s[1]+b1), relu32(s[2]+b2), relu32(s[3]+b3)
			d[4], d[5], d[6], d[7] = relu32(s[4]+b4), relu32(s[5]+b5), relu32(s[6]+b6), relu32(s[7]+b7)
		}
		return
	}
	for i := 0; i+len(b) <= len(dst); i += len(b) {
		s, d := src[i:i+len(b)], dst[i:i+len(b)]
		s = s[:len(d)]
		for j, bv := range b[:len(d)] {
			d[j] = relu32(s[j] + bv)
		}
	}
}

// relu32 returns max(v, 0) as relu computes it, by masking v's bits.
func relu32(v float32) float32 {
	b := math.Float32bits(v)
	return math.Float32frombits(b &^ uint32(int32(b)>>31))
}

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

// reluBackward32 is ActBackward's ReLU for float32 without a branch per
// element, which on data of random sign would be mispredicted half the
// time (see reluGrad). The result is bit for bit that of the branching loop.
func reluBackward32(dpre, y, dy []float32) {
	y, dy = y[:len(dpre)], dy[:len(dpre)]
	for i, v := range y {
		dpre[i] = reluGrad(v, dy[i])
	}
}

// reluGrad returns d if y > 0 and +0 otherwise, without a branch: y > 0
// exactly when y's bits, read as an unsigned integer, lie in [1, 0x7f800000]
// (+Inf included; zeros, negatives and NaNs excluded), which one comparison
// of bits-1 decides and an arithmetic shift turns into a mask for d's bits.
func reluGrad(y, d float32) float32 {
	m := uint32((int64(math.Float32bits(y)-1) - 0x7f800000) >> 63)
	return math.Float32frombits(math.Float32bits(d) & m)
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
	if cols == 8 {
		var a0, a1, a2, a3, a4, a5, a6, a7 float32
		for i := 0; i+8 <= len(dpre); i += 8 {
			yr, dr, pr := (*[8]float32)(y[i:i+8]), (*[8]float32)(dy[i:i+8]), (*[8]float32)(dpre[i:i+8])
			d0, d1, d2, d3 := reluGrad(yr[0], dr[0]), reluGrad(yr[1], dr[1]), reluGrad(yr[2], dr[2]), reluGrad(yr[3], dr[3])
			pr[0], pr[1], pr[2], pr[3] = d0, d1, d2, d3
			a0, a1, a2, a3 = a0+d0, a1+d1, a2+d2, a3+d3
			d4, d5, d6, d7 := reluGrad(yr[4], dr[4]), reluGrad(yr[5], dr[5]), reluGrad(yr[6], dr[6]), reluGrad(yr[7], dr[7])
			pr[4], pr[5], pr[6], pr[7] = d4, d5, d6, d7
			a4, a5, a6, a7 = a4+d4, a5+d5, a6+d6, a7+d7
		}
		db[0], db[1], db[2], db[3], db[4], db[5], db[6], db[7] = a0, a1, a2, a3, a4, a5, a6, a7
		return
	}
	for i := 0; i+cols <= len(dpre); i += cols {
		yr, dr, pr := y[i:i+cols], dy[i:i+cols], dpre[i:i+cols]
		dr, pr = dr[:len(yr)], pr[:len(yr)]
		for j, v := range yr {
			d := reluGrad(v, dr[j])
			pr[j] = d
			db[j] += d
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
		for i, v := range ys {
			b := math.Float32bits(v)
			ys[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
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
