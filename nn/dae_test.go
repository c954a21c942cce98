package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"warmstart/nn/data"
)

// TestDAECleanTarget is case C02, test 1: trained on an all-black image
// with fresh noise every step, the DAE must learn to output black. Had it
// been trained toward the noisy input, its MSE could not fall below the
// variance of clipped noise on black (about 0.0136) and its output would
// stay near 0.08.
func TestDAECleanTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few hundred steps")
	}
	const (
		batch    = 256
		maxSteps = 3000
		wantMSE  = 0.005
		wantMean = 0.06
	)
	im := &data.Images{N: batch, Rows: imgSide, Cols: imgSide, Pix: make([]uint8, batch*imgPixels)}
	idx := make([]int, batch)
	for i := range idx {
		idx[i] = i
	}
	m, _ := NewModel(ArchDAE, rand.New(rand.NewPCG(1, 1)))
	all := make([]bool, len(m.Params))
	for i := range all {
		all[i] = true
	}
	n := newNet(m, all, 0.01)
	defer n.close()
	noise := rand.New(rand.NewPCG(2, 2))
	step := daeStep(im, 0.2, noise)
	var loss float64
	steps := 0
	for steps < maxSteps {
		var err error
		if loss, _, err = step(n, idx); err != nil {
			t.Fatal(err)
		}
		steps++
		if loss < wantMSE/2 {
			break
		}
	}
	mse, err := evalDAE(n, im, idx, 0.2, rand.New(rand.NewPCG(3, 3)), batch, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	grid := SampleGrid{N: batch}
	evalDAE(n, im, idx, 0.2, rand.New(rand.NewPCG(3, 3)), batch, &grid, nil)
	var mean float64
	for _, v := range grid.Denoised {
		mean += float64(v)
	}
	mean /= float64(len(grid.Denoised))
	t.Logf("%d steps: train MSE %.5f, eval MSE %.5f, mean output %.4f", steps, loss, mse, mean)
	if mse >= wantMSE {
		t.Errorf("MSE %.5f, want < %g", mse, wantMSE)
	}
	if mean >= wantMean {
		t.Errorf("mean reconstruction of noisy black %.4f, want < %g", mean, wantMean)
	}
}

// TestDAEValidationNoise is case C02, test 2: validation noise is fixed,
// so two evaluations agree bit for bit, and noisy→clean differs from
// clean→clean.
func TestDAEValidationNoise(t *testing.T) {
	ds, cfg := synthDataset(t)
	m, _ := NewModel(ArchDAE, Stream(cfg.Seed, streamInitDAE))
	n := newNet(m, nil, 1e-3)
	defer n.close()
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	val := func(sigma float64) float64 {
		v, err := evalDAE(n, ds.Train, idx, sigma, Stream(cfg.Seed, streamNoiseVal), 4, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a, b, clean := val(0.2), val(0.2), val(0)
	if math.Float64bits(a) != math.Float64bits(b) {
		t.Errorf("validation MSE %v then %v: not reproducible", a, b)
	}
	if a == clean {
		t.Errorf("noisy→clean MSE %v equals clean→clean", a)
	}
}

// TestDAEReportUsesUnsupervisedValidation is case C02, test 3: the
// reported validation MSE is the noisy→clean MSE on the unsupervised
// validation split.
func TestDAEReportUsesUnsupervisedValidation(t *testing.T) {
	ds, cfg := synthDataset(t)
	cfg.Phases = []Phase{PhaseDAE}
	rep, models, err := Run(t.Context(), ds, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := cfg.Splits
	sc.SupTrain, sc.SupVal, sc.SupTest = 0, 0, 0
	s, err := data.MakeSplits(sc, ds.Train.N, nil, Stream(cfg.Seed, streamSplits))
	if err != nil {
		t.Fatal(err)
	}
	n := newNet(models[PhaseDAE], nil, 1e-3)
	defer n.close()
	want, err := evalDAE(n, ds.Train, s.UnsupVal, cfg.Noise, Stream(cfg.Seed, streamNoiseVal), cfg.DAE.BatchSize, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.DAE.ValMSE != want {
		t.Errorf("reported validation MSE %v, want %v (noisy→clean on the unsupervised validation split)", rep.DAE.ValMSE, want)
	}
	last := rep.DAE.History[len(rep.DAE.History)-1].ValLoss
	if last != want {
		t.Errorf("last epoch's validation MSE %v, want %v", last, want)
	}
	for _, v := range rep.DAE.Grid.Noisy {
		if v < 0 || v > 1 {
			t.Fatalf("noisy grid value %v outside [0, 1]", v)
		}
	}
}
