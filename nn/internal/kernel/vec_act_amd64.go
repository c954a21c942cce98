//go:build goexperiment.simd && amd64

package kernel

import (
	"math"

	"simd/archsimd"
)

// The float32 vector versions of the elementwise helpers. Each processes
// eight elements per vector operation and finishes a length that is not a
// multiple of eight with scalar code computing exactly the same values.

// biasAddVec adds b to each consecutive row of len(b) elements of y.
func biasAddVec(y, b []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	n := len(b)
	switch {
	case n == 1:
		v := archsimd.BroadcastFloat32x8(b[0])
		i := 0
		for ; i+8 <= len(y); i += 8 {
			store8(load8(y, i).Add(v), y, i)
		}
		for ; i < len(y); i++ {
			y[i] += b[0]
		}
	case n == 8:
		v := load8(b, 0)
		for i := 0; i+8 <= len(y); i += 8 {
			store8(load8(y, i).Add(v), y, i)
		}
	case n == 16:
		v, u := load8(b, 0), load8(b, 8)
		for i := 0; i+16 <= len(y); i += 16 {
			store8(load8(y, i).Add(v), y, i)
			store8(load8(y, i+8).Add(u), y, i+8)
		}
	default:
		for i := 0; i+n <= len(y); i += n {
			r := y[i : i+n]
			j := 0
			for ; j+8 <= n; j += 8 {
				store8(load8(r, j).Add(load8(b, j)), r, j)
			}
			for ; j < n; j++ {
				r[j] += b[j]
			}
		}
	}
}

// reluVec sets y[i] = max(y[i], 0) by clearing every element whose sign
// bit is set, exactly like relu.
func reluVec(y []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	i := 0
	for ; i+8 <= len(y); i += 8 {
		v := load8(y, i).AsInt32x8()
		v.AndNot(v.ShiftAllRight(31)).AsFloat32x8().Store((*[8]float32)(y[i : i+8]))
	}
	for ; i < len(y); i++ {
		b := math.Float32bits(y[i])
		y[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

// reluBackwardVec sets dpre[i] = dy[i] where y[i] > 0 and 0 elsewhere.
// The slices have equal lengths.
func reluBackwardVec(dpre, y, dy []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	y, dy = y[:len(dpre)], dy[:len(dpre)]
	var zero f32x8
	i := 0
	for ; i+8 <= len(dpre); i += 8 {
		store8(load8(dy, i).Masked(load8(y, i).Greater(zero)), dpre, i)
	}
	for ; i < len(dpre); i++ {
		d := dy[i]
		if !(y[i] > 0) {
			d = 0
		}
		dpre[i] = d
	}
}

// sigmoidBackwardVec sets dpre[i] = dy[i] * y[i] * (1 - y[i]), multiplying
// left to right as the scalar code does. The slices have equal lengths.
func sigmoidBackwardVec(dpre, y, dy []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	y, dy = y[:len(dpre)], dy[:len(dpre)]
	one := archsimd.BroadcastFloat32x8(1)
	i := 0
	for ; i+8 <= len(dpre); i += 8 {
		v := load8(y, i)
		store8(load8(dy, i).Mul(v).Mul(one.Sub(v)), dpre, i)
	}
	for ; i < len(dpre); i++ {
		v := y[i]
		dpre[i] = dy[i] * v * (1 - v)
	}
}

// sumRowsAddVec adds each consecutive row of len(db) elements of dy to db
// in increasing row order; len(db) is a multiple of 8. Each lane is a
// sequential sum, so the result equals the scalar one exactly.
func sumRowsAddVec(db, dy []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	n := len(db)
	switch n {
	case 8:
		a := load8(db, 0)
		for i := 0; i+8 <= len(dy); i += 8 {
			a = a.Add(load8(dy, i))
		}
		store8(a, db, 0)
	case 16:
		a, b := load8(db, 0), load8(db, 8)
		for i := 0; i+16 <= len(dy); i += 16 {
			a = a.Add(load8(dy, i))
			b = b.Add(load8(dy, i+8))
		}
		store8(a, db, 0)
		store8(b, db, 8)
	default:
		for i := 0; i+n <= len(dy); i += n {
			r := dy[i : i+n]
			for j := 0; j < n; j += 8 {
				store8(load8(db, j).Add(load8(r, j)), db, j)
			}
		}
	}
}

// sigmoidVec sets y[i] = 1/(1+exp(-y[i])). The exponential is computed in
// float32: with t = -y clamped to [-88, 88], exp(t) = 2^k * exp(r) where k
// = round(t/ln 2) and r = t - k*ln 2 (in two parts for accuracy), |r| <=
// ln(2)/2, and exp(r) is its degree-7 Taylor polynomial (truncation error
// below 1e-8 relative). The result is within a few float32 ulps of the
// scalar math.Exp path. Computing it in vector registers also avoids the
// scalar math.Exp, which runs many times slower here after 256-bit vector
// code has left the upper register halves in use.
func sigmoidVec(y []float32) {
	defer archsimd.ClearAVXUpperBits() // see avxToSSE
	var (
		one   = archsimd.BroadcastFloat32x8(1)
		hi    = archsimd.BroadcastFloat32x8(88)
		lo    = archsimd.BroadcastFloat32x8(-88)
		log2e = archsimd.BroadcastFloat32x8(1.44269504088896341)
		ln2hi = archsimd.BroadcastFloat32x8(-0.693359375)
		ln2lo = archsimd.BroadcastFloat32x8(2.12194440e-4)
		c2    = archsimd.BroadcastFloat32x8(1.0 / 2)
		c3    = archsimd.BroadcastFloat32x8(1.0 / 6)
		c4    = archsimd.BroadcastFloat32x8(1.0 / 24)
		c5    = archsimd.BroadcastFloat32x8(1.0 / 120)
		c6    = archsimd.BroadcastFloat32x8(1.0 / 720)
		c7    = archsimd.BroadcastFloat32x8(1.0 / 5040)
		bias  = archsimd.BroadcastInt32x8(127)
		zero  f32x8
	)
	i := 0
	for ; i+8 <= len(y); i += 8 {
		t := zero.Sub(load8(y, i)).Min(hi).Max(lo)
		k := t.Mul(log2e).RoundToEven()
		r := k.MulAdd(ln2hi, t)
		r = k.MulAdd(ln2lo, r)
		p := c7.MulAdd(r, c6)
		p = p.MulAdd(r, c5)
		p = p.MulAdd(r, c4)
		p = p.MulAdd(r, c3)
		p = p.MulAdd(r, c2)
		p = p.MulAdd(r, one)
		p = p.MulAdd(r, one)
		scale := k.ConvertToInt32().Add(bias).ShiftAllLeft(23).AsFloat32x8()
		store8(one.Div(one.Add(p.Mul(scale))), y, i)
	}
	for ; i < len(y); i++ {
		y[i] = float32(1 / (1 + math.Exp(-float64(y[i]))))
	}
}
