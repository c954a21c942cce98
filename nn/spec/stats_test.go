package spec

import (
	"math"
	"testing"
)

// TestMcNemarExact checks values worked by hand from the binomial
// distribution: for b=0, c=5 the tail is 2·(1/32); for b=2, c=8 it is
// 2·(1+10+45)/1024 = 0.109375; equal counts give 1.
func TestMcNemarExact(t *testing.T) {
	const tol = 1e-12
	for _, tc := range []struct {
		b, c int
		want float64
	}{{0, 5, 2.0 / 32}, {5, 0, 2.0 / 32}, {2, 8, 0.109375}, {7, 7, 1}, {0, 0, 1}, {1, 1, 1}} {
		if got := McNemarExact(tc.b, tc.c); math.Abs(got-tc.want) > tol {
			t.Errorf("McNemarExact(%d, %d): got %v, want %v (tol %g)", tc.b, tc.c, got, tc.want, tol)
		}
	}
}

func TestCompare(t *testing.T) {
	truth := []uint8{0, 1, 2, 3, 4}
	a := &ClassifierResult{Phase: PhaseBaseline, Predictions: []uint8{0, 1, 2, 9, 9}}
	b := &ClassifierResult{Phase: PhasePretrained, Predictions: []uint8{0, 9, 9, 3, 4}}
	c := Compare(a, b, truth)
	if c.OnlyA != 2 || c.OnlyB != 2 || c.AccDiff != 0 || c.N != 5 || c.PValue != 1 {
		t.Errorf("got %+v", c)
	}
}
