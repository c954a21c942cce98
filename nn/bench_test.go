package nn

import (
	"math/rand/v2"
	"testing"
)

var sinkLoss float64

// benchStep measures one training step of arch at batch n on synthetic
// images, reporting images per second; -benchmem shows the bytes a step
// allocates in steady state.
func benchStep(b *testing.B, arch Arch, n int) {
	im, labels := synthImages(n, 1)
	m, _ := NewModel(arch, rand.New(rand.NewPCG(1, 1)))
	all := make([]bool, len(m.Params))
	for i := range all {
		all[i] = true
	}
	nt := newNet(m, all, 1e-3)
	defer nt.close()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	var step func(*net, []int) (float64, int, error)
	if arch == ArchDAE {
		step = daeStep(im, 0.2, rand.New(rand.NewPCG(2, 2)))
	} else {
		step = classifierStep(im, labels)
	}
	if _, _, err := step(nt, idx); err != nil { // build the graph outside the timing
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		loss, _, err := step(nt, idx)
		if err != nil {
			b.Fatal(err)
		}
		sinkLoss = loss
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkStep(b *testing.B) {
	b.Run("dae/N=256", func(b *testing.B) { benchStep(b, ArchDAE, 256) })
	b.Run("cnn/N=256", func(b *testing.B) { benchStep(b, ArchCNN, 256) })
}
