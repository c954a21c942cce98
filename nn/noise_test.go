package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCorruptExtremes is case C01: clip(x + 0.2·N(0,1), 0, 1) on an
// all-black, an all-white, a half/half and an all-128 image, 100 times
// each with a fixed seed. The expected values are those of a clipped
// normal: for black, E[max(0, 0.2ε)] = 0.2/√(2π) ≈ 0.0798 and half the
// pixels stay exactly 0; white mirrors it; gray (0.502) is clipped only
// beyond ±2.5σ, which trims the noise's standard deviation from 0.2 to
// about 0.198. The tolerances are those of the case.
func TestCorruptExtremes(t *testing.T) {
	const (
		sigma   = 0.2
		reps    = 100
		meanTol = 0.002
		fracTol = 0.006
		stdTol  = 0.003
	)
	half := make([]float32, imgPixels)
	for r := 0; r < imgSide; r++ {
		for c := imgSide / 2; c < imgSide; c++ {
			half[r*imgSide+c] = 1
		}
	}
	black, white, gray := make([]float32, imgPixels), make([]float32, imgPixels), make([]float32, imgPixels)
	for i := range white {
		white[i], gray[i] = 1, 128.0/255
	}
	rng := rand.New(rand.NewPCG(42, 0))
	dst := make([]float32, imgPixels)

	type acc struct{ sum, sq, zeros, ones, n float64 }
	add := func(a *acc, clean, noisy []float32) {
		for i, v := range noisy {
			if v < 0 || v > 1 {
				t.Fatalf("noisy value %v outside [0, 1]", v)
			}
			a.sum += float64(v)
			d := float64(v - clean[i])
			a.sq += d * d
			if v == 0 {
				a.zeros++
			}
			if v == 1 {
				a.ones++
			}
			a.n++
		}
	}
	var b, w, g, hl, hr acc
	for k := 0; k < reps; k++ {
		Corrupt(dst, black, sigma, rng)
		add(&b, black, dst)
		Corrupt(dst, white, sigma, rng)
		add(&w, white, dst)
		Corrupt(dst, gray, sigma, rng)
		add(&g, gray, dst)
		Corrupt(dst, half, sigma, rng)
		for r := 0; r < imgSide; r++ {
			row := r * imgSide
			add(&hl, half[row:row+imgSide/2], dst[row:row+imgSide/2])
			add(&hr, half[row+imgSide/2:row+imgSide], dst[row+imgSide/2:row+imgSide])
		}
	}
	check := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s: got %.4f, want %.4f (tol %g)", name, got, want, tol)
		}
	}
	check("black mean", b.sum/b.n, 0.0798, meanTol)
	check("black zero fraction", b.zeros/b.n, 0.5, fracTol)
	check("white mean", w.sum/w.n, 0.9202, meanTol)
	check("white one fraction", w.ones/w.n, 0.5, fracTol)
	check("gray noise std", math.Sqrt(g.sq/g.n), 0.198, stdTol)
	check("half, left mean", hl.sum/hl.n, 0.0798, 2*meanTol)
	check("half, left zero fraction", hl.zeros/hl.n, 0.5, 2*fracTol)
	check("half, right mean", hr.sum/hr.n, 0.9202, 2*meanTol)
	check("half, right one fraction", hr.ones/hr.n, 0.5, 2*fracTol)
}

// TestCorruptStream: noise is fresh for every batch and follows the seed.
func TestCorruptStream(t *testing.T) {
	x := make([]float32, imgPixels)
	draw := func(rng *rand.Rand) ([]float32, []float32) {
		a, b := make([]float32, len(x)), make([]float32, len(x))
		Corrupt(a, x, 0.2, rng)
		Corrupt(b, x, 0.2, rng)
		return a, b
	}
	a1, b1 := draw(Stream(1, streamNoiseTrain))
	a2, b2 := draw(Stream(1, streamNoiseTrain))
	a3, _ := draw(Stream(2, streamNoiseTrain))
	if equal32(a1, b1) {
		t.Error("two consecutive batches got the same noise")
	}
	if !equal32(a1, a2) || !equal32(b1, b2) {
		t.Error("the same seed gave different noise")
	}
	if equal32(a1, a3) {
		t.Error("different seeds gave the same noise")
	}
}

func equal32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
