package spec

import (
	"reflect"
	"testing"
)

func TestParsePhases(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Phase
	}{
		{"all", AllPhases},
		{"dae", []Phase{PhaseDAE}},
		{"pretrained, dae", []Phase{PhaseDAE, PhasePretrained}},
		{"finetune,baseline,dae,pretrained", AllPhases},
	} {
		got, err := ParsePhases(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePhases(%q): got %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParsePhases("dae,pretrain"); err == nil {
		t.Error(`ParsePhases("dae,pretrain") accepted an unknown phase`)
	}
}
