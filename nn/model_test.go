package nn

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// The parameter counts of SPEC.md.
func TestParamCounts(t *testing.T) {
	for _, tc := range []struct {
		arch Arch
		want int
	}{{ArchCNN, 41630}, {ArchDAE, 3217}} {
		m, err := NewModel(tc.arch, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.NumParams(); got != tc.want {
			t.Errorf("%s: got %d parameters, want %d", tc.arch, got, tc.want)
		}
		enc := 0
		for _, p := range m.Encoder() {
			enc += p.Len()
		}
		if enc != 1320 {
			t.Errorf("%s: encoder has %d parameters, want 1320", tc.arch, enc)
		}
	}
}

// TestLayerShapes checks every layer's output shape in both graphs.
func TestLayerShapes(t *testing.T) {
	const n = 3
	for _, tc := range []struct {
		arch Arch
		want []tensor.Shape
	}{
		{ArchCNN, []tensor.Shape{{n, 14, 14, 16}, {n, 7, 7, 8}, {n, 100}, {n, 10}}},
		{ArchDAE, []tensor.Shape{{n, 14, 14, 16}, {n, 7, 7, 8}, {n, 14, 14, 8}, {n, 28, 28, 16}, {n, 28, 28, 1}}},
	} {
		t.Run(string(tc.arch), func(t *testing.T) {
			m, err := NewModel(tc.arch, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			nt := newNet(m, nil, 1e-3)
			defer nt.close()
			gr, err := nt.graph(n, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(gr.layers) != len(tc.want) {
				t.Fatalf("got %d layers, want %d", len(gr.layers), len(tc.want))
			}
			if err := gr.run(); err != nil {
				t.Fatal(err)
			}
			defer gr.reset()
			for i, l := range gr.layers {
				if !l.Shape().Eq(tc.want[i]) || !l.Value().Shape().Eq(tc.want[i]) {
					t.Errorf("layer %d: node %v, value %v, want %v", i, l.Shape(), l.Value().Shape(), tc.want[i])
				}
			}
		})
	}
}

// TestGlorotInit checks that kernels are U(-l, l) with Keras's limit and
// biases zero, and that the draws follow the seed.
func TestGlorotInit(t *testing.T) {
	m, _ := NewModel(ArchCNN, rand.New(rand.NewPCG(3, 3)))
	specs, _ := ParamSpecs(ArchCNN)
	for i, p := range m.Params {
		s := specs[i]
		if s.FanIn == 0 {
			for _, v := range p.Data {
				if v != 0 {
					t.Fatalf("%s: bias %v, want 0", p.Name, v)
				}
			}
			continue
		}
		l := math.Sqrt(6 / float64(s.FanIn+s.FanOut))
		var sum, sq float64
		for _, v := range p.Data {
			if math.Abs(float64(v)) > l {
				t.Fatalf("%s: %v outside ±%v", p.Name, v, l)
			}
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		n := float64(len(p.Data))
		// U(-l,l) has variance l²/3; over n ≥ 144 draws the sample
		// variance is within 25% of it with overwhelming probability.
		if v := sq / n; math.Abs(v-l*l/3) > 0.25*l*l/3 {
			t.Errorf("%s: variance %v, want about %v", p.Name, v, l*l/3)
		}
	}
	again, _ := NewModel(ArchCNN, rand.New(rand.NewPCG(3, 3)))
	other, _ := NewModel(ArchCNN, rand.New(rand.NewPCG(4, 3)))
	if hashParams(m.Params) != hashParams(again.Params) {
		t.Error("same seed gave different weights")
	}
	if hashParams(m.Params) == hashParams(other.Params) {
		t.Error("different seeds gave the same weights")
	}
}

func TestModelFileRoundTrip(t *testing.T) {
	for _, arch := range []Arch{ArchCNN, ArchDAE} {
		m, _ := NewModel(arch, rand.New(rand.NewPCG(5, 5)))
		meta := map[string]string{"phase": "test"}
		b, err := MarshalModel(m, meta)
		if err != nil {
			t.Fatal(err)
		}
		got, gotMeta, err := ReadModel(bytes.NewReader(b), arch)
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if hashParams(got.Params) != hashParams(m.Params) || gotMeta["phase"] != "test" {
			t.Errorf("%s: round trip changed the model", arch)
		}
	}
}

// TestModelFileRefused checks that every kind of bad model file is
// refused with ErrModelFile and a message saying what is wrong.
func TestModelFileRefused(t *testing.T) {
	cnn, _ := NewModel(ArchCNN, rand.New(rand.NewPCG(6, 6)))
	good, _ := MarshalModel(cnn, nil)
	dae, _ := NewModel(ArchDAE, rand.New(rand.NewPCG(6, 6)))
	daeFile, _ := MarshalModel(dae, nil)

	// A file claiming the CNN architecture with a dense layer of 50 units.
	other := cnn.Clone()
	other.Params[4].Shape = []int{codeLen, 50}
	other.Params[4].Data = other.Params[4].Data[:codeLen*50]
	var wrongShape bytes.Buffer
	if err := writeModel(&wrongShape, other, nil); err != nil {
		t.Fatal(err)
	}
	nan := cnn.Clone()
	nan.Params[0].Data[0] = float32(math.NaN())
	nanFile, _ := MarshalModel(nan, nil)

	flip := slices.Clone(good)
	flip[len(flip)/2] ^= 0x40
	cases := []struct {
		name string
		file []byte
		want Arch
		msg  string
	}{
		{"empty", nil, "", "truncated header"},
		{"not a model", []byte("PK\x03\x04 a zip file, not a model at all"), "", "not a warmstart model"},
		{"truncated data", good[:len(good)-100], "", "truncated"},
		{"corrupt byte", flip, "", "checksum"},
		{"trailing bytes", append(slices.Clone(good), 0), "", "trailing"},
		{"other architecture", daeFile, ArchCNN, `architecture "dae", want "cnn"`},
		{"wrong shape", wrongShape.Bytes(), "", "dense1/kernel[392 50]"},
		{"non-finite weight", nanFile, "", "NaN"},
	}
	v2 := slices.Clone(good)
	v2[len(modelMagic)] = 2
	cases = append(cases, struct {
		name string
		file []byte
		want Arch
		msg  string
	}{"future version", v2, "", "version 2"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadModel(bytes.NewReader(tc.file), tc.want)
			if !errors.Is(err, ErrModelFile) {
				t.Fatalf("got %v, want ErrModelFile", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %q, want it to mention %q", err, tc.msg)
			}
		})
	}
}
