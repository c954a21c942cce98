package kernel

import (
	"math/rand/v2"
	"testing"
)

// benchLayers are the five convolutions of one DAE training step at batch
// 256; the transposed convolutions appear as their matching stride-2 convs,
// whose BackInput is the transposed convolution's forward pass.
var benchLayers = []struct {
	name string
	g    Geom
}{
	{"conv1_28x28x1_s2_16", Geom{N: 256, H: 28, W: 28, Cin: 1, Cout: 16, Stride: 2}},
	{"conv2_14x14x16_s2_8", Geom{N: 256, H: 14, W: 14, Cin: 16, Cout: 8, Stride: 2}},
	{"convT3_7to14_8to8", Geom{N: 256, H: 14, W: 14, Cin: 8, Cout: 8, Stride: 2}},
	{"convT4_14to28_8to16", Geom{N: 256, H: 28, W: 28, Cin: 16, Cout: 8, Stride: 2}},
	{"conv5_28x28x16_s1_1", Geom{N: 256, H: 28, W: 28, Cin: 16, Cout: 1, Stride: 1}},
}

// benchConv runs one method of a float32 Conv over each DAE layer and
// reports GFLOP/s. FLOPs are counted as Geom.FLOPs: 2 per multiply-accumulate
// (one multiply, one add), 9*Cin multiply-accumulates per output element,
// taps that fall on the zero padding included, for all three methods alike.
func benchConv(b *testing.B, run func(c *Conv[float32], y, x, w, bias, dx, dw []float32)) {
	for _, l := range benchLayers {
		b.Run(l.name, func(b *testing.B) {
			g := l.g
			c, err := NewConv[float32](g)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(9, 0))
			rnd := func(n int) []float32 {
				s := make([]float32, n)
				for i := range s {
					s[i] = r.Float32() - 0.5
				}
				return s
			}
			x, y, w, bias := rnd(g.InLen()), rnd(g.OutLen()), rnd(g.WLen()), rnd(g.Cout)
			dx, dw := make([]float32, g.InLen()), make([]float32, g.WLen())
			b.ResetTimer()
			for b.Loop() {
				run(c, y, x, w, bias, dx, dw)
			}
			b.ReportMetric(float64(g.FLOPs())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkForward(b *testing.B) {
	benchConv(b, func(c *Conv[float32], y, x, w, bias, _, _ []float32) { c.Forward(y, x, w, bias, ActReLU) })
}

func BenchmarkBackInput(b *testing.B) {
	benchConv(b, func(c *Conv[float32], y, _, w, _, dx, _ []float32) { c.BackInput(dx, y, w) })
}

func BenchmarkBackFilter(b *testing.B) {
	benchConv(b, func(c *Conv[float32], y, x, _, bias, _, dw []float32) { c.BackFilter(dw, bias, x, y) })
}
