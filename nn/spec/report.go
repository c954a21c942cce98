package spec

import "time"

// NumClasses is K, the number of Fashion-MNIST classes.
const NumClasses = 10

// ClassNames are the Fashion-MNIST class names, indexed by label.
var ClassNames = [NumClasses]string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// EventKind says what an [Event] reports.
type EventKind uint8

// The event kinds, in the order a phase emits them.
const (
	EventPhaseStart EventKind = iota // a phase begins; Epochs and Batches are set
	EventBatch                       // a training batch finished
	EventEpoch                       // an epoch finished, validation included; Stats is set
	EventEvaluate                    // training done; the final evaluation on every split begins
	EventPhaseEnd                    // a phase finished, evaluation included
	// EventEvalBatch comes after each batch of an evaluation, the
	// validation after every epoch and the final one on every split
	// alike: Evaluated of ToEvaluate images are done.
	EventEvalBatch
)

// Event describes progress. Counters are 1-based; Loss and Accuracy are
// running means over the epoch so far (as Keras reports them); Accuracy is
// 0 for the DAE, whose Loss is the pixel-wise MSE.
type Event struct {
	Kind    EventKind
	Phase   Phase
	Epoch   int // current epoch, 1..Epochs
	Epochs  int
	Batch   int // batches done in this epoch, 1..Batches
	Batches int // batches per epoch

	Loss         float64
	Accuracy     float64
	ImagesPerSec float64       // training throughput of this epoch so far
	Elapsed      time.Duration // since the phase started

	Stats *EpochStats // for EventEpoch

	Evaluated, ToEvaluate int // images, for EventEvalBatch
}

// Observer receives events on the training goroutine. It must return
// quickly: the next batch waits for it.
type Observer func(Event)

// EpochStats is one row of a phase's history.
type EpochStats struct {
	Epoch        int     `json:"epoch"`
	TrainLoss    float64 `json:"train_loss"`     // running mean over the epoch
	TrainAcc     float64 `json:"train_accuracy"` // running, classifiers only
	ValLoss      float64 `json:"val_loss"`
	ValAcc       float64 `json:"val_accuracy"` // classifiers only
	Seconds      float64 `json:"seconds"`      // wall time of the epoch, validation included
	ImagesPerSec float64 `json:"images_per_sec"`
}

// Eval is a classifier's loss and accuracy on one split.
type Eval struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	N        int     `json:"n"`
}

// ClassifierResult is what a classifier phase produced.
type ClassifierResult struct {
	Phase   Phase        `json:"phase"`
	History []EpochStats `json:"history"`
	Seconds float64      `json:"seconds"`

	// Final evaluation of the trained model on each supervised split.
	Train Eval `json:"train"`
	Val   Eval `json:"val"`
	Test  Eval `json:"test"`

	// Confusion[t][p] counts test images of true class t predicted as p.
	Confusion [NumClasses][NumClasses]int `json:"confusion"`
	// PerClass[k] is the test accuracy on class k (NaN-free: 0 when absent).
	PerClass [NumClasses]float64 `json:"per_class_accuracy"`
	// Predictions holds the predicted class of every test image, in the
	// order of the test split (for paired tests such as McNemar's).
	Predictions []uint8 `json:"test_predictions"`
}

// DAEResult is what the autoencoder phase produced.
type DAEResult struct {
	History  []EpochStats `json:"history"` // TrainLoss, ValLoss are MSE
	Seconds  float64      `json:"seconds"`
	TrainMSE float64      `json:"train_mse"` // noisy→clean, final, whole train split
	ValMSE   float64      `json:"val_mse"`   // noisy→clean, fixed noise, 3,000 images
	Grid     SampleGrid   `json:"grid"`
}

// SampleGrid holds N validation images as clean, noisy and denoised
// 28x28 rows of pixels in [0,1], image after image.
type SampleGrid struct {
	N        int       `json:"n"`
	Rows     int       `json:"rows"`
	Cols     int       `json:"cols"`
	Clean    []float32 `json:"clean"`
	Noisy    []float32 `json:"noisy"`
	Denoised []float32 `json:"denoised"`
}

// Report is the outcome of [Run]. Results of phases that did not run (or
// did not finish) are nil.
type Report struct {
	Provenance Provenance `json:"provenance"`
	Config     Config     `json:"config"`

	Baseline   *ClassifierResult `json:"baseline,omitempty"`
	DAE        *DAEResult        `json:"dae,omitempty"`
	Pretrained *ClassifierResult `json:"pretrained,omitempty"`
	FineTuned  *ClassifierResult `json:"finetuned,omitempty"`

	// Comparisons pair the classifiers' test predictions: pretrained and
	// fine-tuned against the baseline, where they ran.
	Comparisons []Comparison `json:"comparisons,omitempty"`

	// EncoderPretrained is false when the "pretrained" CNN got an encoder
	// that the DAE never trained (the DAE ran 0 epochs): the comparison
	// then says nothing about pretraining, and reports must say so.
	EncoderPretrained bool `json:"encoder_pretrained"`

	// Interrupted is set when the run stopped early (cancelled or failed);
	// the results present are those of the phases that finished.
	Interrupted bool    `json:"interrupted"`
	Error       string  `json:"error,omitempty"`
	Seconds     float64 `json:"seconds"`
}
