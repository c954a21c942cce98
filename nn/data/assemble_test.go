package data

import (
	"bytes"
	"errors"
	"testing"
)

// TestNewDataset assembles files decoded one by one, as a browser worker
// does, and checks that it refuses what Load refuses.
func TestNewDataset(t *testing.T) {
	im, err := DecodeImages("x-images", bytes.NewReader(rawImages(t, valid3())))
	if err != nil {
		t.Fatal(err)
	}
	labels := cycleLabels(3)
	ds, err := NewDataset(nil, nil, im, labels)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Test != im || len(ds.TestLabels) != 3 || ds.Train != nil || ds.TrainLabels != nil {
		t.Errorf("got %+v", ds)
	}
	// Images without labels (the DAE's train images) are fine.
	if _, err := NewDataset(im, nil, nil, nil); err != nil {
		t.Errorf("train images alone: %v", err)
	}
	for _, c := range []struct {
		name string
		ds   func() (*Dataset, error)
		file string
	}{
		{"test", func() (*Dataset, error) { return NewDataset(nil, nil, im, labels[:2]) }, TestLabelsFile},
		{"train", func() (*Dataset, error) { return NewDataset(im, cycleLabels(4), nil, nil) }, TrainLabelsFile},
	} {
		_, err := c.ds()
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrCount) || fe.File != c.file {
			t.Errorf("%s: labels for the wrong number of images gave %v, want ErrCount naming %s", c.name, err, c.file)
		}
	}
}
