package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBackInputBiasAct checks that the fused transposed-convolution pass
// gives bit for bit what BackInput followed by BiasAct gives, for every
// test geometry, activation and element type, with and without a bias.
func TestBackInputBiasAct(t *testing.T) {
	t.Run("float32", testBackInputBiasAct[float32])
	t.Run("float64", testBackInputBiasAct[float64])
}

func testBackInputBiasAct[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(21, 0))
	for _, g := range testGeoms() {
		c := mustConv[T](t, g)
		dy, w := fromF64[T](randSlice(r, g.OutLen())), fromF64[T](randSlice(r, g.WLen()))
		b := fromF64[T](randSlice(r, g.Cin))
		for _, act := range []Act{ActNone, ActReLU, ActSigmoid} {
			for _, bias := range [][]T{nil, b} {
				want := make([]T, g.InLen())
				c.BackInput(want, dy, w)
				BiasAct(want, bias, act)
				got := make([]T, g.InLen())
				c.BackInputBiasAct(got, dy, w, bias, act)
				// The vector sigmoid may round a few ulps differently in a
				// vector lane than in the scalar tail, and the fused pass
				// splits the tensor into images.
				tol := 0.0
				if act == ActSigmoid && vectorEnabled && isF32[T]() {
					tol = 1e-6
				}
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > tol || (tol == 0 && math.Float64bits(float64(got[i])) != math.Float64bits(float64(want[i]))) {
						t.Fatalf("%s %v bias=%v: dx[%d] = %v, want %v", geomName(g), act, bias != nil, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestActBackwardSum checks the fused activation and bias gradient against
// ActBackward then SumRows, bit for bit, on rows of several widths whose
// activations include zeros of both signs, infinities and NaNs.
func TestActBackwardSum(t *testing.T) {
	t.Run("float32", testActBackwardSum[float32])
	t.Run("float64", testActBackwardSum[float64])
}

func testActBackwardSum[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(22, 0))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), -math.NaN(), 5e-45, -5e-45}
	for _, cols := range []int{1, 3, 8, 16, 100} {
		for _, rows := range []int{1, 7, 33} {
			y := randSlice(r, rows*cols)
			for i := range y {
				switch {
				case i%5 == 0:
					y[i] = special[(i/5)%len(special)]
				case i%3 == 0:
					y[i] = max(y[i], 0) // a ReLU output
				}
			}
			dy := randSlice(r, rows*cols)
			for _, act := range []Act{ActNone, ActReLU, ActSigmoid} {
				t.Run(fmt.Sprintf("%v/%dx%d", act, rows, cols), func(t *testing.T) {
					yt, dyt := fromF64[T](y), fromF64[T](dy)
					want, wantDB := make([]T, len(y)), make([]T, cols)
					ActBackward(act, want, yt, dyt)
					SumRows(wantDB, want)
					got, gotDB := make([]T, len(y)), fromF64[T](randSlice(r, cols))
					ActBackwardSum(act, got, yt, dyt, gotDB)
					sameBits(t, "dpre", got, want)
					sameBits(t, "db", gotDB, wantDB)
					// In place, as the graph may run it.
					alias := append([]T(nil), dyt...)
					ActBackwardSum(act, alias, yt, alias, gotDB)
					sameBits(t, "aliased dpre", alias, want)
				})
			}
		}
	}
}

// TestReLUBackwardBranchless checks the branchless float32 ReLU gradient
// against the branching definition on every special value and on random
// bit patterns.
func TestReLUBackwardBranchless(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 0))
	bits := []uint32{0, 0x80000000, 1, 0x80000001, 0x7f7fffff, 0x7f800000, 0x7f800001, 0x7fc00000, 0xff800000, 0xffc00000, 0xffffffff, 0x3f800000}
	for range 10000 {
		bits = append(bits, r.Uint32())
	}
	for _, b := range bits {
		y := math.Float32frombits(b)
		want := float32(0)
		if y > 0 {
			want = 1.5
		}
		if got := reluGrad(y, 1.5); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("reluGrad(%#08x) = %v, want %v", b, got, want)
		}
	}
}

func fromF64[T Float](s []float64) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}

func sameBits[T Float](t *testing.T, name string, got, want []T) {
	t.Helper()
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.Float64bits(g) != math.Float64bits(w) && !(math.IsNaN(g) && math.IsNaN(w)) {
			t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], want[i])
		}
	}
}
