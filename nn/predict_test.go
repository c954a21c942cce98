package nn

import (
	"math"
	"strings"
	"testing"
)

// Predict must give the probabilities behind the training code's own
// evaluation: the same predictions as evalClassifier and, through
// -log p(label), the same mean loss.
func TestPredictMatchesEvaluation(t *testing.T) {
	const n = 300 // more than one predict batch
	im, labels := synthImages(n, 5)
	m, err := NewModel(ArchCNN, Stream(3, "test/predict"))
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	// A few epochs, so that the logits are far from uniform.
	trainable := make([]bool, len(m.Params))
	for i := range trainable {
		trainable[i] = true
	}
	net := newNet(m, trainable, 3e-3)
	step := classifierStep(im, labels)
	for e := 0; e < 4; e++ {
		for lo := 0; lo < n; lo += 64 {
			if _, _, err := step(net, idx[lo:min(lo+64, n)]); err != nil {
				t.Fatal(err)
			}
		}
	}
	ev, preds, err := evalClassifier(net, im, labels, idx, 64, nil)
	net.close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("evaluation: loss %.5f, accuracy %.3f", ev.Loss, ev.Accuracy)
	if ev.Loss > 2.0 {
		t.Fatalf("loss %.3f: the model did not train, the comparison would be weak", ev.Loss)
	}

	before := hashParams(m.Params)
	x := make([]float32, n*imgPixels)
	im.Batch32(x, idx)
	probs, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if hashParams(m.Params) != before {
		t.Fatal("Predict changed the weights")
	}
	if len(probs) != n {
		t.Fatalf("%d results for %d images", len(probs), n)
	}
	var nll float64
	for k, p := range probs {
		var sum float64
		for _, v := range p {
			sum += float64(v)
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Fatalf("image %d: probabilities sum to %v", k, sum)
		}
		if got := argmax(p[:]); got != int(preds[k]) {
			t.Errorf("image %d: Predict says class %d, evaluation %d", k, got, preds[k])
		}
		nll -= math.Log(float64(p[labels[k]]))
	}
	nll /= n
	if math.Abs(nll-ev.Loss) > 1e-4*max(1, ev.Loss) {
		t.Errorf("mean -log p(label) from Predict %.6f, evaluation loss %.6f", nll, ev.Loss)
	}

	// One image alone gives what it gets in a batch.
	for _, k := range []int{0, 257, n - 1} {
		one, err := m.Predict(x[k*imgPixels : (k+1)*imgPixels])
		if err != nil {
			t.Fatal(err)
		}
		for j := range one[0] {
			if d := math.Abs(float64(one[0][j] - probs[k][j])); d > 1e-6 {
				t.Fatalf("image %d class %d: alone %v, in a batch %v", k, j, one[0][j], probs[k][j])
			}
		}
	}
}

func TestPredictErrors(t *testing.T) {
	cnn, err := NewModel(ArchCNN, Stream(1, "test/predict"))
	if err != nil {
		t.Fatal(err)
	}
	dae, err := NewModel(ArchDAE, Stream(1, "test/predict"))
	if err != nil {
		t.Fatal(err)
	}
	nan := make([]float32, imgPixels)
	nan[5] = float32(math.NaN())
	cases := []struct {
		name string
		m    *Model
		x    []float32
		want string
	}{
		{"autoencoder", dae, make([]float32, imgPixels), "needs a classifier"},
		{"no images", cnn, nil, "not a whole number"},
		{"partial image", cnn, make([]float32, imgPixels+1), "not a whole number"},
		{"NaN pixel", cnn, nan, "pixel 5 of image 0 is NaN"},
		{"damaged model", &Model{Arch: ArchCNN}, make([]float32, imgPixels), "parameter tensors"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.m.Predict(tc.x)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
