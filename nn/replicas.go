package nn

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"warmstart/nn/data"
)

// Replicas connects the copies of a data-parallel run. Every replica runs
// [RunWith] with the same settings, seed and dataset, so they draw the
// same splits, batch orders and noise; each computes the gradient of its
// share of every batch, AllReduce adds the shares up, and every replica
// applies the same update to the same weights. The replicas therefore
// hold identical models throughout, and a run with a given seed and
// replica count gives the same numbers every time. Evaluation is not
// shared: each replica evaluates on its own.
type Replicas interface {
	// Rank is this replica's index, 0 to Size()-1.
	Rank() int
	// Size is the number of replicas.
	Size() int
	// AllReduce replaces buf, on every replica, with the element-wise
	// sum of all replicas' buf, added in rank order so that every
	// replica gets the same bits. All replicas call it with buffers of
	// the same length, once per training step.
	AllReduce(buf []float32) error
}

// shardOf returns the share [lo, hi) of a batch of n images that replica
// rank of size trains on: contiguous, in rank order, sizes differing by
// at most one.
func shardOf(n, rank, size int) (lo, hi int) {
	return rank * n / size, (rank + 1) * n / size
}

// sharedStep trains one batch across the replicas. fill writes the
// inputs and targets of this replica's share batch[lo:hi] into gr, and
// must advance any random stream as if it had filled the whole batch
// (gr is nil when the share is empty); count returns the share's correct
// predictions. It returns the loss and correct count of the whole batch.
func (n *net) sharedStep(batch []int,
	fill func(gr *graph, lo, hi int),
	count func(gr *graph, shard []int) int,
) (float64, int, error) {
	lo, hi := shardOf(len(batch), n.replicas.Rank(), n.replicas.Size())
	buf := n.reduceBuf()
	clear(buf)
	extra := buf[len(buf)-2:]
	if hi > lo {
		gr, err := n.graph(hi-lo, true)
		if err != nil {
			return 0, 0, err
		}
		fill(gr, lo, hi)
		if err := gr.run(); err != nil {
			gr.reset()
			return 0, 0, err
		}
		// The batch's mean gradient is the shares' mean gradients
		// weighted by their sizes.
		scale := float32(hi-lo) / float32(len(batch))
		off := 0
		for k := range gr.train {
			g := gr.grads[k].Value().Data().([]float32)
			for j, v := range g {
				buf[off+j] = v * scale
			}
			off += len(g)
		}
		extra[0] = float32(gr.lossValue() * float64(hi-lo))
		extra[1] = float32(count(gr, batch[lo:hi]))
		gr.reset()
	} else {
		fill(nil, lo, hi)
	}
	if err := n.replicas.AllReduce(buf); err != nil {
		return 0, 0, fmt.Errorf("all-reduce: %w", err)
	}
	loss, correct := float64(extra[0])/float64(len(batch)), int(extra[1])
	if n.gradHook != nil {
		for k, i := range n.trainIdx {
			n.gradHook(i, n.redGrads[k])
		}
	}
	return loss, correct, n.opt.update(n.trainW, n.redGrads)
}

// reduceBuf returns the buffer that carries this replica's gradients and
// its loss and correct count, with n.redGrads viewing the gradients.
func (n *net) reduceBuf() []float32 {
	if n.red != nil {
		return n.red
	}
	total := 0
	for i, p := range n.model.Params {
		if n.trainable[i] {
			n.trainIdx = append(n.trainIdx, i)
			n.trainW = append(n.trainW, p.Data)
			total += len(p.Data)
		}
	}
	n.red = make([]float32, total+2)
	off := 0
	for _, w := range n.trainW {
		n.redGrads = append(n.redGrads, n.red[off:off+len(w):off+len(w)])
		off += len(w)
	}
	return n.red
}

// corruptShare writes the corruption of the share [lo, hi) of a batch of
// n images into dst, drawing the noise of the whole batch from rng in
// order, as a single replica would.
func corruptShare(dst, clean []float32, sigma float64, rng *rand.Rand, lo, hi, n int) {
	skip := func(k int) {
		for range k * imgPixels {
			rng.NormFloat64()
		}
	}
	skip(lo)
	Corrupt(dst, clean, sigma, rng)
	skip(n - hi)
}

// sharedClassifierStep is classifierStep across replicas.
func sharedClassifierStep(n *net, im *data.Images, labels []uint8, batch []int) (float64, int, error) {
	return n.sharedStep(batch, func(gr *graph, lo, hi int) {
		if gr != nil {
			im.Batch32(gr.xT.Data().([]float32), batch[lo:hi])
			oneHot(gr.targetT.Data().([]float32), labels, batch[lo:hi])
		}
	}, func(gr *graph, shard []int) int {
		return countCorrect(gr.out.Value().Data().([]float32), labels, shard, nil)
	})
}

// sharedDAEStep is daeStep across replicas.
func sharedDAEStep(n *net, im *data.Images, sigma float64, rng *rand.Rand, batch []int) (float64, int, error) {
	return n.sharedStep(batch, func(gr *graph, lo, hi int) {
		if gr == nil {
			corruptShare(nil, nil, sigma, rng, lo, hi, len(batch))
			return
		}
		clean := gr.targetT.Data().([]float32)
		im.Batch32(clean, batch[lo:hi])
		corruptShare(gr.xT.Data().([]float32), clean, sigma, rng, lo, hi, len(batch))
	}, func(*graph, []int) int { return 0 })
}

// LocalReplicas returns size replicas that reduce in memory, for
// data-parallel runs in one process (each replica's RunWith on its own
// goroutine) and for tests of the browser's multi-worker training.
func LocalReplicas(size int) []Replicas {
	h := &localHub{size: size, bufs: make([][]float32, size)}
	h.cond = sync.NewCond(&h.mu)
	out := make([]Replicas, size)
	for r := range out {
		out[r] = &localReplica{hub: h, rank: r}
	}
	return out
}

// ErrReplicaGone is returned by a local all-reduce when another replica
// stopped taking part (its run ended or failed).
var ErrReplicaGone = errors.New("nn: a replica left the run")

type localHub struct {
	mu      sync.Mutex
	cond    *sync.Cond
	size    int
	bufs    [][]float32
	arrived int
	gen     uint64
	sum     []float32
	left    bool
}

type localReplica struct {
	hub  *localHub
	rank int
}

func (r *localReplica) Rank() int { return r.rank }
func (r *localReplica) Size() int { return r.hub.size }

// Leave marks the replica as gone, so the others' next AllReduce fails
// rather than waiting forever.
func (r *localReplica) Leave() {
	h := r.hub
	h.mu.Lock()
	h.left = true
	h.cond.Broadcast()
	h.mu.Unlock()
}

func (r *localReplica) AllReduce(buf []float32) error {
	h := r.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.left {
		return ErrReplicaGone
	}
	gen := h.gen
	h.bufs[r.rank] = buf
	h.arrived++
	if h.arrived == h.size {
		sum := make([]float32, len(buf))
		for _, b := range h.bufs {
			if len(b) != len(sum) {
				h.left = true
				h.cond.Broadcast()
				return fmt.Errorf("nn: all-reduce buffers of %d and %d values", len(b), len(sum))
			}
			for j, v := range b {
				sum[j] += v
			}
		}
		h.sum, h.arrived = sum, 0
		h.gen++
		h.cond.Broadcast()
	}
	for h.gen == gen && !h.left {
		h.cond.Wait()
	}
	if h.gen == gen {
		return ErrReplicaGone
	}
	copy(buf, h.sum)
	return nil
}
