package nn

import "testing"

// BenchmarkStep measures one training step of each model at batch 256,
// the workload of the speed comparisons (see [MeasureSteps]). Read
// images/s and B/step (the heap one step allocates in steady state):
// ns/op also counts building the graph and the warm-up.
func BenchmarkStep(b *testing.B) {
	for _, arch := range []Arch{ArchDAE, ArchCNN} {
		b.Run(string(arch)+"/N=256", func(b *testing.B) {
			s, err := MeasureSteps(arch, 256, 2, b.N)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(s.ImagesPerSec, "images/s")
			b.ReportMetric(s.BytesPerStep, "B/step")
		})
	}
}
