package nn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"warmstart/nn/data"
)

// Corrupt writes the DAE's corrupted input clip(x + σ·ε, 0, 1) into dst,
// with ε ~ N(0,1) drawn from rng once per pixel, in order. dst and x have
// the same length; dst may be x.
func Corrupt(dst, x []float32, sigma float64, rng *rand.Rand) {
	dst = dst[:len(x)]
	for i, v := range x {
		n := float64(v) + sigma*rng.NormFloat64()
		// max(n, 0) without a branch (half the pixels are background,
		// and the noise takes half of those below zero) or the runtime
		// call that min and max on floats are in WebAssembly: n + |n|
		// is 2n or 0, exactly.
		n = (n + math.Abs(n)) * 0.5
		if n > 1 {
			n = 1
		}
		dst[i] = float32(n)
	}
}

// oneHot writes the one-hot rows of labels[idx[k]] into dst (len(idx)×K).
func oneHot(dst []float32, labels []uint8, idx []int) {
	clear(dst)
	for k, i := range idx {
		dst[k*NumClasses+int(labels[i])] = 1
	}
}

// argmax returns the index of the largest of row, the first on ties.
func argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// clock measures a phase's throughput and elapsed time.
type clock struct {
	phaseStart, epochStart time.Time
	images                 int // trained this epoch
}

func (c *clock) imagesPerSec() float64 {
	s := time.Since(c.epochStart).Seconds()
	if s <= 0 {
		return 0
	}
	return float64(c.images) / s
}

// fitter runs the epochs of one phase and reports through obs.
type fitter struct {
	ctx   context.Context
	phase Phase
	tr    Train
	obs   Observer
	order *rand.Rand // batch order, reshuffled every epoch
	clock clock

	// A resumed phase starts after epoch done, from the batch order perm
	// and with the history so far; a fresh one has them zero.
	done int
	perm []int
	hist []EpochStats

	// checkpoint, if set, is called after every epoch with the epoch's
	// batch order and the history so far.
	checkpoint func(epoch int, perm []int, hist []EpochStats)
}

// batches returns how many batches an epoch of n images has; the last,
// partial batch is kept.
func (f *fitter) batches(n int) int { return (n + f.tr.BatchSize - 1) / f.tr.BatchSize }

// epochs runs f.tr.Epochs epochs over idx. step trains one batch and
// returns its loss and the number of correct predictions; validate
// computes the epoch's validation loss and accuracy.
func (f *fitter) epochs(n *net, idx []int,
	step func(n *net, batch []int) (loss float64, correct int, err error),
	validate func() (loss, acc float64, err error),
) ([]EpochStats, error) {
	hist := f.hist
	c := &f.clock
	c.phaseStart = time.Now()
	nb := f.batches(len(idx))
	f.emit(Event{Kind: EventPhaseStart, Epochs: f.tr.Epochs, Batches: nb})
	perm := f.perm
	if perm == nil {
		perm = append([]int(nil), idx...)
	}
	for e := f.done + 1; e <= f.tr.Epochs; e++ {
		f.order.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		c.epochStart, c.images = time.Now(), 0
		var lossSum float64
		var correct int
		for b := 0; b < nb; b++ {
			if err := f.ctx.Err(); err != nil {
				return hist, err
			}
			batch := perm[b*f.tr.BatchSize : min((b+1)*f.tr.BatchSize, len(perm))]
			loss, ok, err := step(n, batch)
			if err != nil {
				return hist, err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return hist, &NonFiniteLossError{Phase: f.phase, Epoch: e, Batch: b + 1, Loss: loss}
			}
			lossSum += loss * float64(len(batch))
			correct += ok
			c.images += len(batch)
			f.emit(Event{
				Kind: EventBatch, Epoch: e, Epochs: f.tr.Epochs, Batch: b + 1, Batches: nb,
				Loss: lossSum / float64(c.images), Accuracy: float64(correct) / float64(c.images),
			})
		}
		st := EpochStats{
			Epoch:        e,
			TrainLoss:    lossSum / float64(c.images),
			TrainAcc:     float64(correct) / float64(c.images),
			ImagesPerSec: c.imagesPerSec(),
		}
		var err error
		if st.ValLoss, st.ValAcc, err = validate(); err != nil {
			return hist, err
		}
		st.Seconds = time.Since(c.epochStart).Seconds()
		hist = append(hist, st)
		f.emit(Event{
			Kind: EventEpoch, Epoch: e, Epochs: f.tr.Epochs, Batch: nb, Batches: nb,
			Loss: st.TrainLoss, Accuracy: st.TrainAcc, ImagesPerSec: st.ImagesPerSec, Stats: &st,
		})
		if f.checkpoint != nil {
			f.checkpoint(e, perm, hist)
		}
	}
	f.emit(Event{Kind: EventEvaluate, Epoch: f.tr.Epochs, Epochs: f.tr.Epochs, Batch: nb, Batches: nb})
	return hist, nil
}

// evalTick is called before each batch of an evaluation with the images
// done so far and in all; an error stops the evaluation. nil does nothing.
type evalTick func(done, total int) error

func (t evalTick) call(done, total int) error {
	if t == nil {
		return nil
	}
	return t(done, total)
}

// evalTick returns the tick of f's evaluations: it stops them when the
// run is cancelled and reports their progress after the first batch.
func (f *fitter) evalTick() evalTick {
	return func(done, total int) error {
		if err := f.ctx.Err(); err != nil {
			return err
		}
		if done > 0 {
			f.emit(Event{Kind: EventEvalBatch, Epochs: f.tr.Epochs, Evaluated: done, ToEvaluate: total})
		}
		return nil
	}
}

// end reports that the phase, final evaluation included, is over.
func (f *fitter) end() {
	f.emit(Event{Kind: EventPhaseEnd, Epoch: f.tr.Epochs, Epochs: f.tr.Epochs})
}

// emit sends ev to the observer, stamped with the phase, the time since
// it started and, unless ev has it already, the epoch's throughput.
func (f *fitter) emit(ev Event) {
	if f.obs == nil {
		return
	}
	ev.Phase = f.phase
	ev.Elapsed = time.Since(f.clock.phaseStart)
	if ev.Kind != EventPhaseStart && ev.ImagesPerSec == 0 {
		ev.ImagesPerSec = f.clock.imagesPerSec()
	}
	f.obs(ev)
}

// classifierStep trains n on one batch of labelled images.
func classifierStep(im *data.Images, labels []uint8) func(*net, []int) (float64, int, error) {
	return func(n *net, batch []int) (float64, int, error) {
		if n.replicas != nil {
			return sharedClassifierStep(n, im, labels, batch)
		}
		gr, err := n.graph(len(batch), true)
		if err != nil {
			return 0, 0, err
		}
		defer gr.reset()
		im.Batch32(gr.xT.Data().([]float32), batch)
		oneHot(gr.targetT.Data().([]float32), labels, batch)
		loss, err := n.step(gr)
		if err != nil {
			return 0, 0, err
		}
		return loss, countCorrect(gr.out.Value().Data().([]float32), labels, batch, nil), nil
	}
}

// countCorrect returns how many rows of logits predict labels[idx[k]],
// and stores each prediction in preds when it is not nil.
func countCorrect(logits []float32, labels []uint8, idx []int, preds []uint8) int {
	ok := 0
	for k, i := range idx {
		p := argmax(logits[k*NumClasses : (k+1)*NumClasses])
		if p == int(labels[i]) {
			ok++
		}
		if preds != nil {
			preds[k] = uint8(p)
		}
	}
	return ok
}

// evalClassifier returns the mean loss and accuracy of n on the images
// idx, and the prediction for each, evaluating batch images at a time.
func evalClassifier(n *net, im *data.Images, labels []uint8, idx []int, batch int, tick evalTick) (Eval, []uint8, error) {
	preds := make([]uint8, len(idx))
	var lossSum float64
	var correct int
	for lo := 0; lo < len(idx); lo += batch {
		if err := tick.call(lo, len(idx)); err != nil {
			return Eval{}, nil, err
		}
		b := idx[lo:min(lo+batch, len(idx))]
		gr, err := n.graph(len(b), false)
		if err != nil {
			return Eval{}, nil, err
		}
		im.Batch32(gr.xT.Data().([]float32), b)
		oneHot(gr.targetT.Data().([]float32), labels, b)
		loss, err := n.forward(gr)
		if err != nil {
			return Eval{}, nil, err
		}
		lossSum += loss * float64(len(b))
		correct += countCorrect(gr.out.Value().Data().([]float32), labels, b, preds[lo:])
		gr.reset()
	}
	N := max(len(idx), 1)
	return Eval{Loss: lossSum / float64(N), Accuracy: float64(correct) / float64(N), N: len(idx)}, preds, nil
}

// daeStep trains n on one batch: the clean images are the target, their
// corruption with fresh noise from rng the input.
func daeStep(im *data.Images, sigma float64, rng *rand.Rand) func(*net, []int) (float64, int, error) {
	return func(n *net, batch []int) (float64, int, error) {
		if n.replicas != nil {
			return sharedDAEStep(n, im, sigma, rng, batch)
		}
		gr, err := n.graph(len(batch), true)
		if err != nil {
			return 0, 0, err
		}
		defer gr.reset()
		clean := gr.targetT.Data().([]float32)
		im.Batch32(clean, batch)
		Corrupt(gr.xT.Data().([]float32), clean, sigma, rng)
		loss, err := n.step(gr)
		return loss, 0, err
	}
}

// evalDAE returns the noisy→clean MSE of n over the images idx, the
// noise drawn from rng in order, batch images at a time. If grid is not
// nil it receives the first grid.N images: clean, noisy and denoised.
//
// In a data-parallel run the replicas share the work: batch k is
// evaluated by replica k mod size, the others only draw its noise, and
// the sums are all-reduced.
func evalDAE(n *net, im *data.Images, idx []int, sigma float64, rng *rand.Rand, batch int, grid *SampleGrid, tick evalTick) (float64, error) {
	rank, size := 0, 1
	if n.replicas != nil {
		rank, size = n.replicas.Rank(), n.replicas.Size()
	}
	var sum float64
	for k, lo := 0, 0; lo < len(idx); k, lo = k+1, lo+batch {
		if err := tick.call(lo, len(idx)); err != nil {
			return 0, err
		}
		b := idx[lo:min(lo+batch, len(idx))]
		if k%size != rank {
			for range len(b) * imgPixels {
				rng.NormFloat64()
			}
			continue
		}
		gr, err := n.graph(len(b), false)
		if err != nil {
			return 0, err
		}
		clean, noisy := gr.targetT.Data().([]float32), gr.xT.Data().([]float32)
		im.Batch32(clean, b)
		Corrupt(noisy, clean, sigma, rng)
		loss, err := n.forward(gr)
		if err != nil {
			return 0, err
		}
		sum += loss * float64(len(b))
		if grid != nil && lo == 0 {
			k := min(grid.N, len(b)) * imgPixels
			grid.Clean = append([]float32(nil), clean[:k]...)
			grid.Noisy = append([]float32(nil), noisy[:k]...)
			grid.Denoised = append([]float32(nil), gr.out.Value().Data().([]float32)[:k]...)
			grid.N, grid.Rows, grid.Cols = k/imgPixels, imgSide, imgSide
		}
		gr.reset()
	}
	if size > 1 {
		buf := []float32{float32(sum)}
		if err := n.replicas.AllReduce(buf); err != nil {
			return 0, fmt.Errorf("all-reduce: %w", err)
		}
		sum = float64(buf[0])
	}
	return sum / float64(max(len(idx), 1)), nil
}
