package session

import (
	"context"
	"fmt"
	"time"

	"warmstart/nn"
	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
	"warmstart/wasm/replica"
)

// Peer is a helper worker this worker started for a data-parallel run.
type Peer interface {
	// Post sends a message to the helper.
	Post(protocol.Message) error
	// Close stops the helper (Worker.terminate).
	Close()
}

// SpawnFunc starts helper worker rank, of the same build as this one.
// Its messages, or the errors of reading them, go to onMessage, which is
// called from a JavaScript event handler and never blocks.
type SpawnFunc func(rank int, onMessage func(protocol.Envelope, error)) (Peer, error)

// parallel is rank 0's side of a data-parallel run: the helpers and the
// coordinator that reduces their gradients.
type parallel struct {
	coord *replica.Coordinator
	peers []Peer // by rank; peers[0] is nil
}

// startHelpers starts m.Workers-1 helper workers and sends each its
// replica-start. The returned parallel must be closed.
func (s *Session) startHelpers(ctx context.Context, m *protocol.Start) (*parallel, error) {
	if s.env.Spawn == nil {
		return nil, fmt.Errorf("%w: this browser cannot start helper workers; train with 1 worker", spec.ErrConfig)
	}
	p := &parallel{peers: make([]Peer, m.Workers)}
	p.coord = replica.NewCoordinator(ctx, m.Run, m.Workers, func(rank int, msg protocol.Message) error {
		return p.peers[rank].Post(msg)
	})
	for rank := 1; rank < m.Workers; rank++ {
		peer, err := s.env.Spawn(rank, func(env protocol.Envelope, err error) { p.fromHelper(rank, env, err) })
		if err != nil {
			p.close()
			return nil, fmt.Errorf("start helper worker %d: %w", rank, err)
		}
		p.peers[rank] = peer
		for _, msg := range []protocol.Message{
			&protocol.Hello{Build: protocol.Build},
			&protocol.ReplicaStart{Run: m.Run, Config: m.Config, DataURL: m.DataURL, Rank: rank, Size: m.Workers},
		} {
			if err := peer.Post(msg); err != nil {
				p.close()
				return nil, fmt.Errorf("helper worker %d: %w", rank, err)
			}
		}
	}
	return p, nil
}

// fromHelper handles a message of helper rank: its gradient shares go to
// the coordinator, and any failure of the helper fails the run.
func (p *parallel) fromHelper(rank int, env protocol.Envelope, err error) {
	if err != nil {
		p.coord.Fail(fmt.Errorf("helper worker %d sent something unreadable: %v", rank, err))
		return
	}
	msg, err := protocol.Decode(env)
	if err != nil {
		p.coord.Fail(fmt.Errorf("helper worker %d: %v", rank, err))
		return
	}
	switch msg := msg.(type) {
	case *protocol.Reduce:
		p.coord.Deliver(rank, msg)
	case *protocol.ReplicaDone:
		if msg.Error != "" {
			p.coord.Fail(fmt.Errorf("helper worker %d: %s", rank, msg.Error))
		}
	case *protocol.Error:
		p.coord.Fail(fmt.Errorf("helper worker %d: %s", rank, msg.Message))
	}
	// Ready and the helper's own data progress need no answer.
}

func (p *parallel) close() {
	for _, peer := range p.peers {
		if peer != nil {
			peer.Close()
		}
	}
}

// helperRun is this worker's part in another worker's data-parallel run.
type helperRun struct {
	run    int64
	helper *replica.Helper
	cancel context.CancelFunc
}

// replicaStart trains as a helper: the same run as rank 0, reducing
// gradients with it, reporting only its end.
func (s *Session) replicaStart(ctx context.Context, m *protocol.ReplicaStart) {
	s.mu.Lock()
	if s.run != nil || s.helping != nil {
		s.mu.Unlock()
		s.post(&protocol.ReplicaDone{Run: m.Run, Rank: m.Rank, Error: "this worker is busy with another run"})
		return
	}
	rctx, cancel := context.WithCancel(ctx)
	h := &helperRun{run: m.Run, cancel: cancel,
		helper: replica.NewHelper(rctx, m.Run, m.Rank, m.Size, func(msg protocol.Message) error {
			s.post(msg)
			return nil
		})}
	s.helping = h
	s.mu.Unlock()
	go func() {
		defer cancel()
		done := &protocol.ReplicaDone{Run: m.Run, Rank: m.Rank}
		if err := s.help(rctx, m, h.helper); err != nil {
			done.Error = err.Error()
		}
		s.mu.Lock()
		s.helping = nil
		s.mu.Unlock()
		s.post(done)
	}()
}

func (s *Session) help(ctx context.Context, m *protocol.ReplicaStart, h *replica.Helper) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("helper worker %d crashed: %v (%s)", m.Rank, v, shortStack(3, 6))
		}
	}()
	var notes []string
	ds, err := s.dataset(ctx, &protocol.Start{Run: m.Run, Config: m.Config, DataURL: m.DataURL}, &notes)
	if err != nil {
		return err
	}
	var lastYield time.Time
	obs := func(spec.Event) {
		if now := s.env.Now(); s.env.Yield != nil && now.Sub(lastYield) >= s.env.YieldEvery {
			s.env.Yield()
			lastYield = s.env.Now()
		}
	}
	_, _, err = nn.RunWith(ctx, ds, m.Config, obs, nn.RunOptions{Replicas: h})
	return err
}

// reduced hands rank 0's sum to the helper run it belongs to.
func (s *Session) reduced(m *protocol.Reduced) {
	s.mu.Lock()
	h := s.helping
	s.mu.Unlock()
	if h == nil || h.run != m.Run {
		s.post(&protocol.Error{Run: m.Run, Code: protocol.CodeInternal,
			Message: fmt.Sprintf("this worker takes no part in a data-parallel run %d", m.Run),
			Hint:    "reload the page"})
		return
	}
	h.helper.Deliver(m)
}
