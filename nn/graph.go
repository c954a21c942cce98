package nn

import (
	"fmt"

	gorgonia "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"warmstart/nn/internal/kernel"
)

// graph is one model's expression graph for one batch size: its inputs,
// its parameters (bound to tensors shared with the model's other graphs),
// its output and loss, and, for a training graph, the gradients of the
// trainable parameters.
type graph struct {
	g      *gorgonia.ExprGraph
	x      *gorgonia.Node   // input images (N,28,28,1), noisy for the DAE
	target *gorgonia.Node   // DAE: clean images (N,28,28,1); CNN: one-hot labels (N,K)
	params []*gorgonia.Node // in ParamSpecs order
	layers []*gorgonia.Node // every layer's output, input to output
	out    *gorgonia.Node   // DAE: reconstruction r; CNN: logits (N,K)
	loss   *gorgonia.Node   // scalar mean loss
	grads  []*gorgonia.Node // gradients of trainable params, in order; nil for evaluation
	train  []int            // indices into params of the trainable ones

	xT, targetT *tensor.Dense // the bound input tensors, refilled every batch
	vm          gorgonia.VM
}

// buildGraph builds the graph of arch for batch size n over the
// parameter tensors ps (float32 or float64, shapes of ParamSpecs). If
// trainable is non-nil the graph computes the gradients of the
// parameters marked true; otherwise it only runs forward.
func buildGraph(arch Arch, n int, ps []*tensor.Dense, trainable []bool) (*graph, error) {
	dt := ps[0].Dtype()
	gr := &graph{g: gorgonia.NewGraph()}
	g := gr.g
	gr.xT = tensor.New(tensor.Of(dt), tensor.WithShape(n, imgSide, imgSide, 1))
	gr.x = gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(n, imgSide, imgSide, 1), gorgonia.WithName("x"), gorgonia.WithValue(gr.xT))
	for i, p := range ps {
		name := fmt.Sprintf("p%d", i)
		gr.params = append(gr.params, gorgonia.NewTensor(g, dt, p.Dims(), gorgonia.WithShape(p.Shape()...), gorgonia.WithName(name), gorgonia.WithValue(p)))
	}
	encTrain := trainable != nil && trainable[0]

	var err error
	switch arch {
	case ArchCNN:
		gr.targetT = tensor.New(tensor.Of(dt), tensor.WithShape(n, NumClasses))
		gr.target = gorgonia.NewTensor(g, dt, 2, gorgonia.WithShape(n, NumClasses), gorgonia.WithName("y"), gorgonia.WithValue(gr.targetT))
		gr.out, err = gr.classifier(encTrain)
		if err == nil {
			gr.loss, err = gorgonia.ApplyOp(newXentOp(), gr.out, gr.target)
		}
	case ArchDAE:
		gr.targetT = tensor.New(tensor.Of(dt), tensor.WithShape(n, imgSide, imgSide, 1))
		gr.target = gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(n, imgSide, imgSide, 1), gorgonia.WithName("clean"), gorgonia.WithValue(gr.targetT))
		gr.out, err = gr.autoencoder()
		if err == nil {
			gr.loss, err = gorgonia.ApplyOp(newMSEOp(4), gr.out, gr.target)
		}
	default:
		err = fmt.Errorf("nn: unknown architecture %q", arch)
	}
	if err != nil {
		return nil, fmt.Errorf("build %s graph: %w", arch, err)
	}

	if trainable != nil {
		var wrt gorgonia.Nodes
		for i, t := range trainable {
			if t {
				wrt = append(wrt, gr.params[i])
				gr.train = append(gr.train, i)
			}
		}
		one := gorgonia.NewConstant(oneOf(dt), gorgonia.WithName("dloss"))
		one = g.AddNode(one)
		if gr.grads, err = gorgonia.Backpropagate(gorgonia.Nodes{gr.loss}, gorgonia.Nodes{one}, wrt); err != nil {
			return nil, fmt.Errorf("differentiate %s graph: %w", arch, err)
		}
	}
	gr.vm = gorgonia.NewTapeMachine(g)
	return gr, nil
}

func oneOf(dt tensor.Dtype) any {
	if dt == tensor.Float32 {
		return float32(1)
	}
	return float64(1)
}

// encode maps images to the code z with two stride-2 convolutions.
//
//	x: (N,28,28,1)  w1: (3,3,1,16)  w2: (3,3,16,8)  →  z: (N,7,7,8)
func (gr *graph) encode(trainEncoder bool) (*gorgonia.Node, error) {
	p := gr.params
	h, err := gr.layer(newConvOp(2, kernel.ActReLU, true, false), gr.x, p[0], p[1])
	if err != nil {
		return nil, err
	}
	return gr.layer(newConvOp(2, kernel.ActReLU, true, trainEncoder), h, p[2], p[3])
}

// layer applies op and records its output in gr.layers.
func (gr *graph) layer(op gorgonia.Op, in ...*gorgonia.Node) (*gorgonia.Node, error) {
	n, err := gorgonia.ApplyOp(op, in...)
	if err == nil {
		gr.layers = append(gr.layers, n)
	}
	return n, err
}

// classifier is the CNN: the encoder, Flatten (free in NHWC) and a dense
// head. Softmax is left to the loss; the output is the logits.
//
//	x: (N,28,28,1) → z: (N,7,7,8) → h: (N,100) → logits: (N,10)
func (gr *graph) classifier(trainEncoder bool) (*gorgonia.Node, error) {
	z, err := gr.encode(trainEncoder)
	if err != nil {
		return nil, err
	}
	p := gr.params
	h, err := gr.layer(newDenseOp(kernel.ActReLU, 4, trainEncoder), z, p[4], p[5])
	if err != nil {
		return nil, err
	}
	return gr.layer(newDenseOp(kernel.ActNone, 2, true), h, p[6], p[7])
}

// autoencoder is the DAE: the encoder, two stride-2 transposed
// convolutions and a sigmoid output convolution.
//
//	xn: (N,28,28,1) → z: (N,7,7,8) → (N,14,14,8) → (N,28,28,16) → r: (N,28,28,1)
func (gr *graph) autoencoder() (*gorgonia.Node, error) {
	z, err := gr.encode(true)
	if err != nil {
		return nil, err
	}
	p := gr.params
	d1, err := gr.layer(newConvTOp(kernel.ActReLU, true), z, p[4], p[5])
	if err != nil {
		return nil, err
	}
	d2, err := gr.layer(newConvTOp(kernel.ActReLU, true), d1, p[6], p[7])
	if err != nil {
		return nil, err
	}
	return gr.layer(newConvOp(1, kernel.ActSigmoid, true, true), d2, p[8], p[9])
}

// run binds the input tensors (already filled by the caller) and runs
// the graph forward, and backward for a training graph. The caller reads
// the results, then calls reset.
func (gr *graph) run() error {
	if err := gorgonia.Let(gr.x, gr.xT); err != nil {
		return err
	}
	if err := gorgonia.Let(gr.target, gr.targetT); err != nil {
		return err
	}
	return gr.vm.RunAll()
}

func (gr *graph) reset() { gr.vm.Reset() }

// lossValue returns the scalar loss of the last run.
func (gr *graph) lossValue() float64 {
	v, err := scalar(gr.loss.Value())
	if err != nil {
		panic(err) // the loss ops return scalars by construction
	}
	return v
}

// paramGrad pairs a parameter tensor with its gradient node, as
// gorgonia.Solver wants them.
type paramGrad struct {
	p *tensor.Dense
	g *gorgonia.Node
}

func (pg paramGrad) Value() gorgonia.Value { return pg.p }
func (pg paramGrad) Grad() (gorgonia.Value, error) {
	if v := pg.g.Value(); v != nil {
		return v, nil
	}
	return nil, fmt.Errorf("nn: gradient %v has no value", pg.g)
}

// valueGrads returns the trainable parameters and their gradients.
func (gr *graph) valueGrads(ps []*tensor.Dense) []gorgonia.ValueGrad {
	vgs := make([]gorgonia.ValueGrad, len(gr.train))
	for k, i := range gr.train {
		vgs[k] = paramGrad{p: ps[i], g: gr.grads[k]}
	}
	return vgs
}
