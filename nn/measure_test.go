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
