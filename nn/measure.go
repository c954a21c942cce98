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
	GFLOPPerStep  float64 `json:"gflop_per_step"` // arithmetic of one step, see [StepFLOPs]
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
		GFLOPPerStep:  StepFLOPs(arch, batch) / 1e9,
	}, nil
}

// StepFLOPs returns the floating-point operations of one training step of
// arch at batch size n, counting a multiply-add as two and only the
// convolutions and matrix products (the elementwise work is under 1%):
// every layer's forward pass, its kernel gradient, and its input gradient
// except for the first layer, whose input is the image. Padding taps are
// counted, as a dense implementation computes them.
func StepFLOPs(arch Arch, n int) float64 {
	conv := func(h, cin, cout, stride int) float64 { // one pass of a 3x3 conv on (n,h,h,cin)
		oh := (h + stride - 1) / stride
		return 2 * float64(n*oh*oh*cout*9*cin)
	}
	dense := func(in, out int) float64 { return 2 * float64(n*in*out) }
	enc := 2*conv(imgSide, 1, c1, 2) + 3*conv(imgSide/2, c1, c2, 2)
	switch arch {
	case ArchDAE:
		// The transposed convolutions cost what the convolutions they are
		// the adjoints of cost: 14x14x8 → 7x7x8 and 28x28x16 → 14x14x8.
		return enc + 3*conv(imgSide/2, c2, c2, 2) + 3*conv(imgSide, c1, c2, 2) + 3*conv(imgSide, c1, 1, 1)
	case ArchCNN:
		return enc + 3*dense(codeLen, hidden) + 3*dense(hidden, NumClasses)
	}
	return 0
}
