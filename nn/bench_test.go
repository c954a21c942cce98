package nn

import "testing"

// BenchmarkStep measures one training step of each model at batch 256,
// the workload of the speed comparisons (see [MeasureSteps]); -benchmem
// shows nothing useful here: read B/step, the heap a step allocates in
// steady state. ns/op includes building the graph and the warm-up.
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
