package nn

import (
	"fmt"
	"runtime"

	gorgonia "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// net is a model being trained or evaluated: its parameters as tensors
// sharing the model's memory, which of them train, an optimiser, and one
// graph per batch size and mode, built when first needed.
type net struct {
	model     *Model
	ps        []*tensor.Dense
	trainable []bool
	opt       *Adam

	// gradHook, when set, sees every trainable gradient before the
	// update; only tests set it, to inject deliberate faults.
	gradHook func(param int, g []float32)

	// replicas, when set, shares every training step with the other
	// replicas of a data-parallel run; red is the all-reduce buffer,
	// redGrads its gradient views, trainIdx and trainW the trainable
	// parameters' indices and weights (see sharedStep).
	replicas Replicas
	red      []float32
	redGrads [][]float32
	trainIdx []int
	trainW   [][]float32

	trainGraphs map[int]*graph
	evalGraphs  map[int]*graph
	vgs         map[int][]gorgonia.ValueGrad
	// slab holds the graphs' op outputs (see arena.go). It is an object
	// of its own because every op points to it: were it part of the net,
	// the ops would point back into the net, and the cycle net → graph →
	// gorgonia's tape machine → ops → net would never be collected, since
	// the tape machine has a finalizer.
	slab *slab
}

// newNet wraps m, whose parameters marked in trainable will be updated
// in place by Adam at learning rate lr.
func newNet(m *Model, trainable []bool, lr float64) *net {
	n := &net{
		model:       m,
		trainable:   trainable,
		opt:         NewAdam(lr),
		trainGraphs: map[int]*graph{},
		evalGraphs:  map[int]*graph{},
		vgs:         map[int][]gorgonia.ValueGrad{},
		slab:        new(slab),
	}
	for _, p := range m.Params {
		n.ps = append(n.ps, tensor.New(tensor.WithBacking(p.Data), tensor.WithShape(p.Shape...)))
	}
	return n
}

// graph returns the training or evaluation graph for batch size b.
func (n *net) graph(b int, train bool) (*graph, error) {
	cache := n.evalGraphs
	if train {
		cache = n.trainGraphs
	}
	if gr, ok := cache[b]; ok {
		return gr, nil
	}
	var trainable []bool
	if train {
		trainable = n.trainable
	}
	gr, err := buildGraph(n.model.Arch, b, n.ps, trainable)
	if err != nil {
		return nil, err
	}
	gr.useArena(n.slab)
	cache[b] = gr
	if train {
		n.vgs[b] = gr.valueGrads(n.ps)
	}
	return gr, nil
}

// step runs one training step on the batch already written into gr's
// input tensors and returns its loss. The loss and gr.out are those of
// the weights before the update; the caller reads them, then calls
// gr.reset.
func (n *net) step(gr *graph) (float64, error) {
	if err := gr.run(); err != nil {
		return 0, err
	}
	loss := gr.lossValue()
	if n.gradHook != nil {
		for k, i := range gr.train {
			n.gradHook(i, gr.grads[k].Value().Data().([]float32))
		}
	}
	if err := n.opt.Step(n.vgs[gr.xT.Shape()[0]]); err != nil {
		return loss, err
	}
	return loss, nil
}

// forward runs gr without updating anything and returns the loss; the
// caller reads gr.out before calling gr.reset.
func (n *net) forward(gr *graph) (float64, error) {
	if err := gr.run(); err != nil {
		gr.reset()
		return 0, err
	}
	return gr.lossValue(), nil
}

// close releases the graphs' machines.
func (n *net) close() {
	for _, m := range []map[int]*graph{n.trainGraphs, n.evalGraphs} {
		for _, gr := range m {
			gr.vm.Close()
			// The tape machine's finalizer only closes it again (it frees
			// CUDA state in gorgonia's cuda builds), and while set it
			// keeps everything the machine reaches, the ops and their
			// slab, for one more collection.
			runtime.SetFinalizer(gr.vm, nil)
		}
	}
}

// NonFiniteLossError reports a loss that became NaN or infinite, which
// stops training: the weights are no longer usable.
type NonFiniteLossError struct {
	Phase        Phase
	Epoch, Batch int
	Loss         float64
}

func (e *NonFiniteLossError) Error() string {
	return fmt.Sprintf("nn: %s loss became %v at epoch %d, batch %d (try a lower learning rate)",
		e.Phase, e.Loss, e.Epoch, e.Batch)
}
