package nn

import (
	"fmt"
	"math"
)

// predictBatch is how many images Predict runs through one graph.
const predictBatch = 256

// Predict returns the class probabilities (the softmax of the logits)
// that the classifier m gives each image of x: x holds one or more 28x28
// images, 784 float32 pixels in [0, 1] each, row-major, one after the
// other, as Fashion-MNIST's are scaled. It runs the same evaluation graph
// as training's validation, so the probabilities are those the reports'
// accuracies count. m is only read: Predict may run concurrently on one
// model, but not while the model trains.
func (m *Model) Predict(x []float32) ([][NumClasses]float32, error) {
	if m.Arch != ArchCNN {
		return nil, fmt.Errorf("nn: predict needs a classifier (%s), not %q", ArchCNN, m.Arch)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	if len(x) == 0 || len(x)%imgPixels != 0 {
		return nil, fmt.Errorf("nn: predict: %d values are not a whole number of %dx%d images", len(x), imgSide, imgSide)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("nn: predict: pixel %d of image %d is %v", i%imgPixels, i/imgPixels, v)
		}
	}
	n := len(x) / imgPixels
	net := newNet(m, nil, 0)
	defer net.close()
	probs := make([][NumClasses]float32, n)
	for lo := 0; lo < n; lo += predictBatch {
		b := min(predictBatch, n-lo)
		gr, err := net.graph(b, false)
		if err != nil {
			return nil, err
		}
		copy(gr.xT.Data().([]float32), x[lo*imgPixels:(lo+b)*imgPixels])
		clear(gr.targetT.Data().([]float32))
		if _, err := net.forward(gr); err != nil {
			return nil, fmt.Errorf("nn: predict: %w", err)
		}
		logits := gr.out.Value().Data().([]float32)
		for k := 0; k < b; k++ {
			softmax(probs[lo+k][:], logits[k*NumClasses:(k+1)*NumClasses], NumClasses)
		}
		gr.reset()
	}
	return probs, nil
}
