package report

// refResult is one classifier's numbers in the published reference run.
type refResult struct {
	Train, Val, Test float64 // accuracy in percent
	ShirtK, ShirtN   int     // Shirt test images classified right, of all Shirt test images
}

// The published reference of SPEC.md: one Keras/TensorFlow 2.10 run of the
// same design, with a plain random split of the supervised pool.
var (
	refBaseline   = refResult{Train: 72.09, Val: 70.33, Test: 75.33, ShirtK: 6, ShirtN: 68}
	refPretrained = refResult{Train: 75.77, Val: 72.17, Test: 74.50, ShirtK: 22, ShirtN: 68}
)

// shirtClass is the label of Fashion-MNIST's Shirt class, the class the
// experiment watches most closely.
const shirtClass = 6
