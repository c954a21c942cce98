package nn

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"warmstart/nn/data"
)

// StepStats is the measured cost of training steps.
type StepStats struct {
	Arch          Arch    `json:"model"`
	Batch         int     `json:"batch"`
	Steps         int     `json:"steps"`
	Threads       int     `json:"threads"`
	Seconds       float64 `json:"seconds"`
	ImagesPerSec  float64 `json:"images_per_s"`
	BytesPerStep  float64 `json:"bytes_per_step"` // heap allocated per step in steady state
	AllocsPerStep float64 `json:"allocs_per_step"`
}

// MeasureSteps trains a freshly initialised arch (seed 1) on synthetic
// images for warmup untimed steps, then times steps more at batch size
// batch, as the experiment trains: the DAE on noisy inputs with clean
// targets, the classifier with every parameter trainable. It is the
// workload of warmstart's speed comparisons.
func MeasureSteps(arch Arch, batch, warmup, steps int) (StepStats, error) {
	if batch < 1 || steps < 1 || warmup < 0 {
		return StepStats{}, fmt.Errorf("nn: measure: batch %d, warmup %d, steps %d", batch, warmup, steps)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	im := &data.Images{N: batch, Rows: imgSide, Cols: imgSide, Pix: make([]uint8, batch*imgPixels)}
	labels := make([]uint8, batch)
	for i := range im.Pix {
		im.Pix[i] = uint8(rng.IntN(256))
	}
	idx := make([]int, batch)
	for i := range idx {
		idx[i] = i
		labels[i] = uint8(i % NumClasses)
	}
	m, err := NewModel(arch, rng)
	if err != nil {
		return StepStats{}, err
	}
	all := make([]bool, len(m.Params))
	for i := range all {
		all[i] = true
	}
	n := newNet(m, all, 1e-3)
	defer n.close()
	step := classifierStep(im, labels)
	if arch == ArchDAE {
		step = daeStep(im, 0.2, rng)
	}
	for i := 0; i < max(warmup, 1); i++ { // at least one, to build the graph
		if _, _, err := step(n, idx); err != nil {
			return StepStats{}, err
		}
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := 0; i < steps; i++ {
		if _, _, err := step(n, idx); err != nil {
			return StepStats{}, err
		}
	}
	sec := time.Since(start).Seconds()
	runtime.ReadMemStats(&after)
	return StepStats{
		Arch: arch, Batch: batch, Steps: steps, Threads: runtime.GOMAXPROCS(0),
		Seconds:       sec,
		ImagesPerSec:  float64(batch*steps) / sec,
		BytesPerStep:  float64(after.TotalAlloc-before.TotalAlloc) / float64(steps),
		AllocsPerStep: float64(after.Mallocs-before.Mallocs) / float64(steps),
	}, nil
}
