package nn

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
	"weak"
)

func slabLen(s *slab) int {
	n := 0
	for _, c := range s.f32 {
		n += len(c)
	}
	return n
}

func fillRandom(r *rand.Rand, s []float32) {
	for i := range s {
		s[i] = r.Float32()
	}
}

// TestArenaSharesMemory: the DAE's graphs of one phase (training on 256
// and on the epoch's last 168 images, evaluating on 256, a remainder and
// the grid's 10) fit in the memory of the first, largest one.
func TestArenaSharesMemory(t *testing.T) {
	m, err := NewModel(ArchDAE, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	n := newNet(m, allTrainable(m), 1e-3)
	first := 0
	for i, c := range []struct {
		b     int
		train bool
	}{{256, true}, {168, true}, {256, false}, {184, false}, {10, false}} {
		gr, err := n.graph(c.b, c.train)
		if err != nil {
			t.Fatal(err)
		}
		if err := gr.run(); err != nil {
			t.Fatal(err)
		}
		gr.reset()
		if i == 0 {
			first = slabLen(n.slab)
			// Every op output of the training graph: at least the
			// activations and their gradients.
			if first < 2*256*28*28*16 {
				t.Fatalf("the first graph took %d floats from the slab", first)
			}
			continue
		}
		if got := slabLen(n.slab); got != first {
			t.Errorf("graph %d (batch %d, train %v) grew the slab from %d to %d floats", i, c.b, c.train, first, got)
		}
	}
}

// TestArenaResultsUnchanged: a graph whose outputs lie over memory that
// other graphs of its net overwrite between its runs computes exactly
// what a graph with memory of its own computes.
func TestArenaResultsUnchanged(t *testing.T) {
	for _, arch := range []Arch{ArchDAE, ArchCNN} {
		t.Run(string(arch), func(t *testing.T) {
			m, err := NewModel(arch, rand.New(rand.NewPCG(3, 4)))
			if err != nil {
				t.Fatal(err)
			}
			n := newNet(m, allTrainable(m), 1e-3)
			ref, err := buildGraph(arch, 100, n.ps, allTrainable(m))
			if err != nil {
				t.Fatal(err)
			}
			shared, err := n.graph(100, true)
			if err != nil {
				t.Fatal(err)
			}
			other, err := n.graph(256, true)
			if err != nil {
				t.Fatal(err)
			}
			eval, err := n.graph(100, false)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(5, 6))
			for step := range 3 {
				x := make([]float32, len(ref.xT.Data().([]float32)))
				y := make([]float32, len(ref.targetT.Data().([]float32)))
				fillRandom(r, x)
				fillRandom(r, y)
				for _, gr := range []*graph{ref, shared} {
					copy(gr.xT.Data().([]float32), x)
					copy(gr.targetT.Data().([]float32), y)
				}
				// The other graphs run first and leave their values
				// where the shared graph's outputs go.
				for _, o := range []*graph{other, eval} {
					fillRandom(r, o.xT.Data().([]float32))
					fillRandom(r, o.targetT.Data().([]float32))
					if err := o.run(); err != nil {
						t.Fatal(err)
					}
					o.reset()
				}
				for _, gr := range []*graph{ref, shared} {
					if err := gr.run(); err != nil {
						t.Fatal(err)
					}
				}
				if a, b := ref.lossValue(), shared.lossValue(); a != b {
					t.Errorf("step %d: loss %v with its own memory, %v over the slab", step, a, b)
				}
				if !slices.Equal(ref.out.Value().Data().([]float32), shared.out.Value().Data().([]float32)) {
					t.Errorf("step %d: outputs differ", step)
				}
				for k := range ref.grads {
					if !slices.Equal(ref.grads[k].Value().Data().([]float32), shared.grads[k].Value().Data().([]float32)) {
						t.Errorf("step %d: gradient %d differs", step, k)
					}
				}
				ref.reset()
				shared.reset()
			}
		})
	}
}

func allTrainable(m *Model) []bool {
	all := make([]bool, len(m.Params))
	for i := range all {
		all[i] = true
	}
	return all
}

// TestNetIsCollected: once a net is dropped, its graphs and the slab under
// their outputs become garbage. Every op points to the slab, so a slab
// inside the net made a cycle through gorgonia's tape machine, whose
// finalizer kept every phase's net, the DAE's tens of MB included, alive
// for the rest of the run.
func TestNetIsCollected(t *testing.T) {
	m, err := NewModel(ArchDAE, rand.New(rand.NewPCG(1, 3)))
	if err != nil {
		t.Fatal(err)
	}
	n := newNet(m, allTrainable(m), 1e-3)
	for _, train := range []bool{true, false} {
		gr, err := n.graph(8, train)
		if err != nil {
			t.Fatal(err)
		}
		if err := gr.run(); err != nil {
			t.Fatal(err)
		}
		gr.reset()
	}
	if len(n.slab.f32) == 0 {
		t.Fatal("the graphs took nothing from the slab")
	}
	net, chunk := weak.Make(n), weak.Make(&n.slab.f32[0][0])
	n.close()
	n = nil
	// A finalizer runs after the collection that finds its object
	// unreachable, and frees it for the next one.
	for i := 0; i < 20 && (net.Value() != nil || chunk.Value() != nil); i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if net.Value() != nil || chunk.Value() != nil {
		t.Errorf("after 20 collections: net kept %v, slab kept %v", net.Value() != nil, chunk.Value() != nil)
	}
}
