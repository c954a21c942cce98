package kernel

import "math"

// BiasAct applies y = act(y + b) in place over consecutive rows of len(b)
// elements. b may be nil, in which case only the activation is applied. It
// panics if b is not nil and len(y) is not a multiple of len(b).
func BiasAct[T Float](y, b []T, act Act) {
	if len(b) > 0 {
		if len(y)%len(b) != 0 {
			panic("kernel: BiasAct: len(y) is not a multiple of len(b)")
		}
		for i := 0; i < len(y); i += len(b) {
			addTo(y[i:i+len(b)], b)
		}
	}
	switch act {
	case ActNone:
	case ActReLU:
		relu(y)
	case ActSigmoid:
		for i, v := range y {
			y[i] = T(1 / (1 + math.Exp(-float64(v))))
		}
	default:
		panic("kernel: unknown activation " + act.String())
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
		for i, v := range y {
			d := dy[i]
			if !(v > 0) {
				d = 0
			}
			dpre[i] = d
		}
	case ActSigmoid:
		for i, v := range y {
			dpre[i] = dy[i] * v * (1 - v)
		}
	default:
		panic("kernel: unknown activation " + act.String())
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
	for i := 0; i < len(dy); i += len(db) {
		addTo(db, dy[i:i+len(db)])
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
