package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Arch names a model architecture of SPEC.md.
type Arch string

// The two architectures. The baseline, pretrained and fine-tuned
// classifiers all share ArchCNN; only which parameters train differs.
const (
	ArchCNN Arch = "cnn" // encoder + dense head, 41,630 parameters
	ArchDAE Arch = "dae" // encoder + decoder, 3,217 parameters
)

// Param is one named parameter tensor, row-major float32.
type Param struct {
	Name  string
	Shape []int
	Data  []float32
}

// Len returns the number of elements of the parameter's shape.
func (p *Param) Len() int { return shapeLen(p.Shape) }

// Model is a set of parameters for an architecture, in the fixed order of
// [ParamSpecs]. It holds weights only; graphs are built from it by the
// trainer.
type Model struct {
	Arch   Arch
	Params []*Param
}

// ParamSpec names one parameter of an architecture and gives its shape.
type ParamSpec struct {
	Name  string
	Shape []int
	// FanIn and FanOut drive the Glorot-uniform limit; both 0 for biases.
	FanIn, FanOut int
}

// The layer sizes of SPEC.md.
const (
	imgSide   = 28
	imgPixels = imgSide * imgSide
	c1        = 16 // channels of the first encoder conv
	c2        = 8  // channels of the code z
	codeSide  = 7
	codeLen   = codeSide * codeSide * c2 // 392, Flatten of z
	hidden    = 100
	// encoderParams counts the two encoder convs' kernels and biases.
	encoderParams = 3*3*1*c1 + c1 + 3*3*c1*c2 + c2
	// numEncoderTensors is how many of a model's first Params form the
	// encoder (w1, b1, w2, b2) in both architectures.
	numEncoderTensors = 4
)

func convSpec(name string, cin, cout int) []ParamSpec {
	return []ParamSpec{
		{Name: name + "/kernel", Shape: []int{3, 3, cin, cout}, FanIn: 9 * cin, FanOut: 9 * cout},
		{Name: name + "/bias", Shape: []int{cout}},
	}
}

// convTSpec follows Keras's Conv2DTranspose, whose kernel is stored
// (3,3,Cout,Cin).
func convTSpec(name string, cin, cout int) []ParamSpec {
	return []ParamSpec{
		{Name: name + "/kernel", Shape: []int{3, 3, cout, cin}, FanIn: 9 * cout, FanOut: 9 * cin},
		{Name: name + "/bias", Shape: []int{cout}},
	}
}

func denseSpec(name string, in, out int) []ParamSpec {
	return []ParamSpec{
		{Name: name + "/kernel", Shape: []int{in, out}, FanIn: in, FanOut: out},
		{Name: name + "/bias", Shape: []int{out}},
	}
}

// ParamSpecs returns the parameters of arch in their fixed order: the
// encoder first (conv1, conv2), then the head or the decoder.
func ParamSpecs(arch Arch) ([]ParamSpec, error) {
	enc := append(convSpec("enc1", 1, c1), convSpec("enc2", c1, c2)...)
	switch arch {
	case ArchCNN:
		s := append(enc, denseSpec("dense1", codeLen, hidden)...)
		return append(s, denseSpec("dense2", hidden, NumClasses)...), nil
	case ArchDAE:
		s := append(enc, convTSpec("dec1", c2, c2)...)
		s = append(s, convTSpec("dec2", c2, c1)...)
		return append(s, convSpec("out", c1, 1)...), nil
	}
	return nil, fmt.Errorf("nn: unknown architecture %q", arch)
}

// NumParams returns the total number of parameters of m.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Params {
		n += p.Len()
	}
	return n
}

// NewModel returns arch with Glorot-uniform kernels drawn from rng in
// parameter order and zero biases, as Keras initialises them.
func NewModel(arch Arch, rng *rand.Rand) (*Model, error) {
	specs, err := ParamSpecs(arch)
	if err != nil {
		return nil, err
	}
	m := &Model{Arch: arch}
	for _, s := range specs {
		p := &Param{Name: s.Name, Shape: append([]int(nil), s.Shape...)}
		p.Data = make([]float32, p.Len())
		if s.FanIn > 0 {
			glorotUniform(p.Data, s.FanIn, s.FanOut, rng)
		}
		m.Params = append(m.Params, p)
	}
	return m, nil
}

// glorotUniform fills dst with draws from U(-l, l), l = sqrt(6/(fanIn+fanOut)).
func glorotUniform(dst []float32, fanIn, fanOut int, rng *rand.Rand) {
	l := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range dst {
		dst[i] = float32((2*rng.Float64() - 1) * l)
	}
}

// Clone returns a deep copy of m.
func (m *Model) Clone() *Model {
	c := &Model{Arch: m.Arch}
	for _, p := range m.Params {
		c.Params = append(c.Params, &Param{
			Name:  p.Name,
			Shape: append([]int(nil), p.Shape...),
			Data:  append([]float32(nil), p.Data...),
		})
	}
	return c
}

// Encoder returns the encoder's parameters (enc1 kernel and bias, enc2
// kernel and bias), shared with m, not copied.
func (m *Model) Encoder() []*Param { return m.Params[:numEncoderTensors] }

// CopyEncoder overwrites dst's encoder with src's, bit for bit.
func CopyEncoder(dst, src *Model) {
	for i, p := range src.Encoder() {
		copy(dst.Params[i].Data, p.Data)
	}
}

func shapeLen(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
