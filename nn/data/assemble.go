package data

// NewDataset assembles a Dataset from files decoded one at a time with
// [DecodeFile], as a browser worker does with the files it downloads,
// and checks what [Load] checks once every file is read: one label per
// image in each images/labels pair that is present. A nil argument is a
// part not loaded. The Dataset shares the arguments' memory.
func NewDataset(train *Images, trainLabels []uint8, test *Images, testLabels []uint8) (*Dataset, error) {
	ds := &Dataset{Train: train, TrainLabels: trainLabels, Test: test, TestLabels: testLabels}
	if err := matchCounts(TrainLabelsFile, ds.Train, ds.TrainLabels); err != nil {
		return nil, err
	}
	if err := matchCounts(TestLabelsFile, ds.Test, ds.TestLabels); err != nil {
		return nil, err
	}
	return ds, nil
}
