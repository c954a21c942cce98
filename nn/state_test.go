package nn

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// numbers strips a report of what differs between equal runs: wall times
// and throughput.
func numbers(r *Report) Report {
	out := *r
	out.Provenance, out.Seconds = Provenance{}, 0
	strip := func(h []EpochStats) []EpochStats {
		h = append([]EpochStats(nil), h...)
		for i := range h {
			h[i].Seconds, h[i].ImagesPerSec = 0, 0
		}
		return h
	}
	for _, c := range []**ClassifierResult{&out.Baseline, &out.Pretrained, &out.FineTuned} {
		if *c != nil {
			cp := **c
			cp.Seconds, cp.History = 0, strip(cp.History)
			*c = &cp
		}
	}
	if out.DAE != nil {
		d := *out.DAE
		d.Seconds, d.History = 0, strip(d.History)
		out.DAE = &d
	}
	return out
}

// TestResumeMatchesUninterrupted saves the run's state after every epoch
// of every phase and resumes from each one: every resumed run must end
// with the uninterrupted run's numbers and weights, bit for bit.
func TestResumeMatchesUninterrupted(t *testing.T) {
	ds, cfg := synthDataset(t)
	var saved [][]byte
	var labels []string
	opts := RunOptions{Checkpoint: func(s *State) {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("marshal state: %v", err)
		}
		saved = append(saved, b)
		labels = append(labels, string(s.Current.Phase)+" epoch "+string(rune('0'+s.Current.Epoch)))
	}}
	want, wantModels, err := RunWith(context.Background(), ds, cfg, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(saved); got != 8 {
		t.Fatalf("%d checkpoints, want 8 (2 epochs of 4 phases)", got)
	}
	for i, b := range saved {
		// With -short (the race detector's run) resume from the first
		// checkpoint of every phase only.
		if testing.Short() && i%2 == 1 {
			continue
		}
		s, err := UnmarshalState(b)
		if err != nil {
			t.Fatalf("%s: %v", labels[i], err)
		}
		var events int
		got, gotModels, err := RunWith(context.Background(), ds, cfg, func(Event) { events++ }, RunOptions{Resume: s})
		if err != nil {
			t.Fatalf("resume from %s: %v", labels[i], err)
		}
		if !reflect.DeepEqual(numbers(got), numbers(want)) {
			t.Errorf("resume from %s: report differs from the uninterrupted run", labels[i])
		}
		for p, m := range wantModels {
			if gotModels[p] == nil || hashParams(gotModels[p].Params) != hashParams(m.Params) {
				t.Errorf("resume from %s: %s weights differ", labels[i], p)
			}
		}
		if events == 0 {
			t.Errorf("resume from %s: no progress events", labels[i])
		}
	}
}

// TestCheckpointIsASnapshot checks that a state handed to Checkpoint is
// not changed by the training that follows.
func TestCheckpointIsASnapshot(t *testing.T) {
	ds, cfg := synthDataset(t)
	cfg.Phases = []Phase{PhaseBaseline}
	var first *State
	var firstBytes []byte
	_, _, err := RunWith(context.Background(), ds, cfg, nil, RunOptions{Checkpoint: func(s *State) {
		if first == nil {
			first = s
			firstBytes, _ = s.MarshalBinary()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := first.MarshalBinary()
	if err != nil || string(again) != string(firstBytes) {
		t.Error("the first checkpoint changed while training went on")
	}
}

func TestResumeRejects(t *testing.T) {
	ds, cfg := synthDataset(t)
	cfg.Phases = []Phase{PhaseBaseline}
	var st *State
	if _, _, err := RunWith(context.Background(), ds, cfg, nil, RunOptions{Checkpoint: func(s *State) { st = s }}); err != nil {
		t.Fatal(err)
	}
	good, _ := st.MarshalBinary()

	other := cfg
	other.Seed++
	if _, _, err := RunWith(context.Background(), ds, other, nil, RunOptions{Resume: st}); !errors.Is(err, ErrState) {
		t.Errorf("resume with another seed: got %v, want ErrState", err)
	}
	for name, b := range map[string][]byte{
		"truncated": good[:len(good)/2],
		"empty":     nil,
		"version":   []byte(`{"version":99}`),
	} {
		if _, err := UnmarshalState(b); !errors.Is(err, ErrState) {
			t.Errorf("%s state: got %v, want ErrState", name, err)
		}
	}
	bad, _ := UnmarshalState(good)
	bad.Current.Perm = bad.Current.Perm[1:]
	if _, _, err := RunWith(context.Background(), ds, cfg, nil, RunOptions{Resume: bad}); !errors.Is(err, ErrState) {
		t.Errorf("resume with a short batch order: got %v, want ErrState", err)
	}
	bad, _ = UnmarshalState(good)
	bad.Current.Epoch = 5
	if _, _, err := RunWith(context.Background(), ds, cfg, nil, RunOptions{Resume: bad}); !errors.Is(err, ErrState) {
		t.Errorf("resume past the last epoch: got %v, want ErrState", err)
	}
}
