package nn

import "testing"

func TestMeasureSteps(t *testing.T) {
	for _, arch := range []Arch{ArchDAE, ArchCNN} {
		s, err := MeasureSteps(arch, 8, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if s.Steps != 2 || s.Batch != 8 || !(s.ImagesPerSec > 0) || s.Arch != arch {
			t.Errorf("%s: got %+v", arch, s)
		}
	}
	if _, err := MeasureSteps(ArchDAE, 0, 1, 1); err == nil {
		t.Error("batch 0 was accepted")
	}
}

// TestStepFLOPs checks the count of one DAE step at batch 256 against the
// figure worked out by hand for the performance issue: about 0.68 GFLOP.
func TestStepFLOPs(t *testing.T) {
	if got := StepFLOPs(ArchDAE, 256) / 1e9; got < 0.6 || got > 0.75 {
		t.Errorf("DAE step: %.3f GFLOP, want about 0.68", got)
	}
	if got := StepFLOPs(ArchCNN, 256) / 1e9; got < 0.1 || got > 0.2 {
		t.Errorf("CNN step: %.3f GFLOP, want about 0.18", got)
	}
}
