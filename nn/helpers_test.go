package nn

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"warmstart/nn/data"
)

// synthImages returns n 28x28 images whose class k (n cycles through the
// classes) is a bright bar at a class-specific row, on a noisy dark
// background: learnable, but not trivially.
func synthImages(n int, seed uint64) (*data.Images, []uint8) {
	rng := rand.New(rand.NewPCG(seed, 99))
	im := &data.Images{N: n, Rows: imgSide, Cols: imgSide, Pix: make([]uint8, n*imgPixels)}
	labels := make([]uint8, n)
	for i := 0; i < n; i++ {
		k := i % NumClasses
		labels[i] = uint8(k)
		p := im.Pix[i*imgPixels : (i+1)*imgPixels]
		for j := range p {
			p[j] = uint8(rng.IntN(60))
		}
		row := 3 + 2*k
		for c := 4; c < 24; c++ {
			p[row*imgSide+c] = uint8(180 + rng.IntN(75))
		}
	}
	return im, labels
}

// synthDataset is a small dataset shaped like Fashion-MNIST's, with the
// matching tiny split configuration in cfg.
func synthDataset(t testing.TB) (*data.Dataset, Config) {
	t.Helper()
	train, trainLabels := synthImages(700, 1)
	test, testLabels := synthImages(400, 2)
	cfg := DefaultConfig()
	cfg.Splits = data.SplitConfig{UnsupTrain: 600, UnsupVal: 100, SupTrain: 200, SupVal: 100, SupTest: 100, Stratified: true}
	for _, tr := range []*Train{&cfg.Baseline, &cfg.DAE, &cfg.Pretrained, &cfg.FineTune} {
		tr.Epochs, tr.BatchSize = 2, 64
	}
	cfg.GridImages = 4
	return &data.Dataset{Train: train, TrainLabels: trainLabels, Test: test, TestLabels: testLabels}, cfg
}

// hashParams returns the SHA-256 of ps in order, as little-endian float32.
func hashParams(ps []*Param) [32]byte {
	h := sha256.New()
	var b [4]byte
	for _, p := range ps {
		for _, v := range p.Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			h.Write(b[:])
		}
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}
