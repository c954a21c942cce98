package nn

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from this run")

// golden is the trajectory of a short seeded run: what a change in the
// arithmetic's order may perturb slightly and a change in behaviour
// changes outright.
type golden struct {
	Losses     map[Phase][]float64 `json:"losses"` // train and validation loss per epoch
	TestAcc    map[Phase]float64   `json:"test_accuracy"`
	DAEValMSE  float64             `json:"dae_val_mse"`
	TestImages int                 `json:"test_images"`
}

// Golden tolerances. float32 sums in another order move a loss by a few
// ulps per operation, about 1e-6 relative after a few hundred steps on
// this tiny run; 1e-4 leaves room for that and for a different BLAS
// (wasm's pure-Go gonum) while any change of model, data order, noise or
// optimiser moves the losses by far more. Accuracies may flip one test
// image when a logit ties within rounding.
const (
	goldenLossRelTol = 1e-4
	goldenAccTol     = 1.0 / 100 // one image of the synthetic test split
)

// TestGolden compares a short seeded run on the synthetic dataset with
// testdata/run.golden.json, which `go test ./nn -run TestGolden -update`
// wrote from this code; a change to that file is a change in behaviour.
func TestGolden(t *testing.T) {
	ds, cfg := synthDataset(t)
	rep, _, err := Run(t.Context(), ds, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := golden{Losses: map[Phase][]float64{}, TestAcc: map[Phase]float64{}, DAEValMSE: rep.DAE.ValMSE,
		TestImages: rep.Baseline.Test.N}
	for p, r := range map[Phase]*ClassifierResult{PhaseBaseline: rep.Baseline, PhasePretrained: rep.Pretrained, PhaseFineTune: rep.FineTuned} {
		got.TestAcc[p] = r.Test.Accuracy
		for _, e := range r.History {
			got.Losses[p] = append(got.Losses[p], e.TrainLoss, e.ValLoss)
		}
	}
	for _, e := range rep.DAE.History {
		got.Losses[PhaseDAE] = append(got.Losses[PhaseDAE], e.TrainLoss, e.ValLoss)
	}

	path := filepath.Join("testdata", "run.golden.json")
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want golden
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, p := range AllPhases {
		g, w := got.Losses[p], want.Losses[p]
		if len(g) != len(w) {
			t.Errorf("%s: %d loss values, want %d", p, len(g), len(w))
			continue
		}
		for i := range w {
			if math.Abs(g[i]-w[i]) > goldenLossRelTol*math.Abs(w[i]) {
				t.Errorf("%s loss %d: got %.8g, want %.8g (rel tol %g)", p, i, g[i], w[i], goldenLossRelTol)
			}
		}
	}
	for p, w := range want.TestAcc {
		if math.Abs(got.TestAcc[p]-w) > goldenAccTol+1e-12 {
			t.Errorf("%s test accuracy: got %v, want %v (tol %v)", p, got.TestAcc[p], w, goldenAccTol)
		}
	}
	if math.Abs(got.DAEValMSE-want.DAEValMSE) > goldenLossRelTol*want.DAEValMSE {
		t.Errorf("DAE validation MSE: got %.8g, want %.8g", got.DAEValMSE, want.DAEValMSE)
	}
}
