// Package replica carries the all-reduce of a data-parallel run (see
// nn.Replicas) over protocol messages between Web Workers: rank 0, the
// page's worker, is the [Coordinator]; every helper worker it starts is
// a [Helper]. Neither touches JavaScript: the worker hands them a send
// function and delivers the messages it receives, so the package is
// tested natively with goroutines standing in for workers.
package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"warmstart/wasm/protocol"
)

// ErrGone is wrapped when a replica failed or left, so the step cannot
// complete.
var ErrGone = errors.New("replica: a worker left the run")

// Coordinator is rank 0: it adds the helpers' shares to its own, in rank
// order, and sends the sum back.
type Coordinator struct {
	ctx  context.Context
	run  int64
	size int
	send func(rank int, m protocol.Message) error

	mu      sync.Mutex
	step    int64
	pending map[int]*protocol.Reduce // this step's shares by rank
	arrived chan struct{}            // signalled when a share arrives
	failed  error
}

// NewCoordinator returns rank 0 of a run of size replicas. send posts a
// message to the helper of the given rank.
func NewCoordinator(ctx context.Context, run int64, size int, send func(rank int, m protocol.Message) error) *Coordinator {
	return &Coordinator{ctx: ctx, run: run, size: size, send: send,
		pending: map[int]*protocol.Reduce{}, arrived: make(chan struct{}, 1)}
}

func (c *Coordinator) Rank() int { return 0 }
func (c *Coordinator) Size() int { return c.size }

// Deliver hands the coordinator a Reduce received from the helper of
// rank. A message for another run, or a second share for one step, is
// an error that fails the run.
func (c *Coordinator) Deliver(rank int, m *protocol.Reduce) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.failed != nil:
		return
	case m.Run != c.run || rank < 1 || rank >= c.size:
		c.failed = fmt.Errorf("%w: worker %d sent a share of run %d to run %d", ErrGone, rank, m.Run, c.run)
	case c.pending[rank] != nil:
		c.failed = fmt.Errorf("%w: worker %d sent two shares of step %d", ErrGone, rank, c.pending[rank].Step)
	default:
		c.pending[rank] = m
	}
	select {
	case c.arrived <- struct{}{}:
	default:
	}
}

// Fail ends the run for every replica: a helper failed or stopped.
func (c *Coordinator) Fail(err error) {
	c.mu.Lock()
	if c.failed == nil {
		c.failed = fmt.Errorf("%w: %v", ErrGone, err)
	}
	c.mu.Unlock()
	select {
	case c.arrived <- struct{}{}:
	default:
	}
}

// AllReduce waits for every helper's share of this step, adds them to
// buf in rank order and sends the sum to the helpers.
func (c *Coordinator) AllReduce(buf []float32) error {
	c.mu.Lock()
	c.step++
	step := c.step
	c.mu.Unlock()
	for {
		c.mu.Lock()
		err, n := c.failed, len(c.pending)
		c.mu.Unlock()
		if err != nil {
			return err
		}
		if n == c.size-1 {
			break
		}
		select {
		case <-c.arrived:
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
	c.mu.Lock()
	shares := c.pending
	c.pending = map[int]*protocol.Reduce{}
	c.mu.Unlock()
	for rank := 1; rank < c.size; rank++ {
		s := shares[rank]
		if s.Step != step || len(s.Buf) != len(buf) {
			return fmt.Errorf("%w: worker %d sent step %d with %d values, want step %d with %d",
				ErrGone, rank, s.Step, len(s.Buf), step, len(buf))
		}
		for j, v := range s.Buf {
			buf[j] += v
		}
	}
	for rank := 1; rank < c.size; rank++ {
		sum := append([]float32(nil), buf...) // the caller reuses buf
		if err := c.send(rank, &protocol.Reduced{Run: c.run, Step: step, Buf: sum}); err != nil {
			return fmt.Errorf("%w: send to worker %d: %v", ErrGone, rank, err)
		}
	}
	return nil
}

// Helper is a replica of rank 1 or more in a helper worker.
type Helper struct {
	ctx  context.Context
	run  int64
	rank int
	size int
	post func(m protocol.Message) error

	step int64
	in   chan *protocol.Reduced
	gone chan struct{}
	once sync.Once
	why  error
}

// NewHelper returns replica rank of size; post sends a message to rank 0.
func NewHelper(ctx context.Context, run int64, rank, size int, post func(protocol.Message) error) *Helper {
	return &Helper{ctx: ctx, run: run, rank: rank, size: size, post: post,
		in: make(chan *protocol.Reduced, 1), gone: make(chan struct{})}
}

func (h *Helper) Rank() int { return h.rank }
func (h *Helper) Size() int { return h.size }

// Deliver hands the helper a Reduced received from rank 0.
func (h *Helper) Deliver(m *protocol.Reduced) {
	select {
	case h.in <- m:
	default:
		h.Fail(fmt.Errorf("rank 0 sent step %d before step %d was taken", m.Step, h.step))
	}
}

// Fail ends the helper's run: rank 0 stopped or sent nonsense.
func (h *Helper) Fail(err error) {
	h.once.Do(func() {
		h.why = fmt.Errorf("%w: %v", ErrGone, err)
		close(h.gone)
	})
}

// AllReduce sends this replica's share to rank 0 and waits for the sum.
func (h *Helper) AllReduce(buf []float32) error {
	h.step++
	share := append([]float32(nil), buf...)
	if err := h.post(&protocol.Reduce{Run: h.run, Step: h.step, Buf: share}); err != nil {
		return fmt.Errorf("%w: send to rank 0: %v", ErrGone, err)
	}
	select {
	case m := <-h.in:
		if m.Run != h.run || m.Step != h.step || len(m.Buf) != len(buf) {
			return fmt.Errorf("%w: rank 0 answered run %d step %d with %d values, want run %d step %d with %d",
				ErrGone, m.Run, m.Step, len(m.Buf), h.run, h.step, len(buf))
		}
		copy(buf, m.Buf)
		return nil
	case <-h.gone:
		return h.why
	case <-h.ctx.Done():
		return h.ctx.Err()
	}
}
