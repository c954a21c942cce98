package data

import (
	"fmt"
	"testing"
)

func TestBatch32(t *testing.T) {
	im := valid3()
	im.Pix[784+5] = 0
	im.Pix[784+6] = 255
	idx := []int{1, 0, 1}
	dst := make([]float32, len(idx)*784)
	im.Batch32(dst, idx)
	dst64 := make([]float64, len(idx)*784)
	im.Batch64(dst64, idx)
	for k, i := range idx {
		for j := range 784 {
			p := im.Pix[i*784+j]
			got := dst[k*784+j]
			if got < 0 || got > 1 {
				t.Fatalf("image %d pixel %d: got %v, want a value in [0, 1]", k, j, got)
			}
			if want := float32(p) / 255; got != want {
				t.Fatalf("image %d pixel %d: got %v, want %v", k, j, got, want)
			}
			if want := float64(p) / 255; dst64[k*784+j] != want {
				t.Fatalf("Batch64 image %d pixel %d: got %v, want %v", k, j, dst64[k*784+j], want)
			}
		}
	}
	if got := dst[5]; got != 0 {
		t.Errorf("pixel 0: got %v, want 0", got)
	}
	if got := dst[6]; got != 1 {
		t.Errorf("pixel 255: got %v, want 1", got)
	}
	if got := dst64[6]; got != 1 {
		t.Errorf("Batch64 pixel 255: got %v, want 1", got)
	}
}

func TestBatchPanics(t *testing.T) {
	im := valid3()
	tests := []struct {
		name string
		fn   func()
	}{
		{"short dst", func() { im.Batch32(make([]float32, 783), []int{0}) }},
		{"long dst", func() { im.Batch64(make([]float64, 785), []int{0}) }},
		{"index 3", func() { im.Batch32(make([]float32, 784), []int{3}) }},
		{"index -1", func() { im.Batch64(make([]float64, 784), []int{-1}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("got no panic, want one")
				} else if s := fmt.Sprint(r); len(s) < 6 || s[:6] != "data: " {
					t.Errorf("got panic %q, want a \"data: \" message", s)
				}
			}()
			tt.fn()
		})
	}
}

func BenchmarkBatch32(b *testing.B) {
	im := makeImages(1000, 28, 28)
	idx := make([]int, 128)
	for i := range idx {
		idx[i] = (i * 37) % im.N
	}
	dst := make([]float32, len(idx)*784)
	b.SetBytes(int64(len(dst)))
	for b.Loop() {
		im.Batch32(dst, idx)
	}
}
