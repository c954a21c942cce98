package nn

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"warmstart/nn/data"
	"warmstart/nn/spec"
)

// ErrData is wrapped when the dataset lacks what the selected phases need.
var ErrData = errors.New("nn: dataset incomplete")

// NeededParts returns the dataset files the phases of cfg read: the train
// images for the DAE (never the train labels), the t10k images and labels
// for the classifiers.
func NeededParts(cfg *Config) data.Part {
	var p data.Part
	if cfg.Runs(PhaseDAE) {
		p |= data.TrainImages
	}
	if cfg.Runs(PhaseBaseline) || cfg.Runs(PhasePretrained) || cfg.Runs(PhaseFineTune) {
		p |= data.TestImages | data.TestLabels
	}
	return p
}

// Run runs the phases of cfg on ds and returns the report and the
// trained models by phase. It stops at the next batch when ctx is
// cancelled and then returns the phases that finished, with
// Report.Interrupted set, together with the error; a failure in a phase
// does the same. The report is nil only when cfg or ds are invalid.
func Run(ctx context.Context, ds *data.Dataset, cfg Config, obs Observer) (*Report, map[Phase]*Model, error) {
	return run(ctx, ds, cfg, obs, RunOptions{}, hooks{})
}

// RunOptions are the optional parts of a run.
type RunOptions struct {
	// Resume, if set, continues the run it was saved from: its finished
	// phases are not trained again, and the phase in progress goes on
	// after its last saved epoch. It must come from a run with the same
	// settings (and seed) on the same dataset.
	Resume *State

	// Replicas, if set, makes this run one replica of a data-parallel
	// run; see [Replicas].
	Replicas Replicas

	// Checkpoint, if set, receives the run's state after every epoch, on
	// the training goroutine; it must return quickly, and may keep the
	// state, which later training does not change.
	Checkpoint func(*State)
}

// RunWith is [Run] with options: resuming a saved run, or saving one.
func RunWith(ctx context.Context, ds *data.Dataset, cfg Config, obs Observer, opts RunOptions) (*Report, map[Phase]*Model, error) {
	return run(ctx, ds, cfg, obs, opts, hooks{})
}

// hooks let tests look inside a run and inject deliberate defects, to
// show that the end-to-end checks can fail. The zero value does nothing.
type hooks struct {
	// phaseStart, if set, sees each phase's model before it trains.
	phaseStart func(p Phase, m *Model)
	// gradHook, if set, may alter every gradient before each update.
	gradHook func(p Phase, param int, g []float32)
	// randomEncoder gives the pretrained CNN a fresh random encoder
	// instead of the DAE's, the bug of case C03.
	randomEncoder bool
}

func run(ctx context.Context, ds *data.Dataset, cfg Config, obs Observer, opts RunOptions, h hooks) (*Report, map[Phase]*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if err := checkDataset(ds, &cfg); err != nil {
		return nil, nil, err
	}
	if err := CheckSplits(&cfg, ds); err != nil {
		return nil, nil, err
	}
	if rs := opts.Replicas; rs != nil {
		if rs.Size() < 1 || rs.Rank() < 0 || rs.Rank() >= rs.Size() {
			return nil, nil, fmt.Errorf("%w: replica %d of %d", ErrConfig, rs.Rank(), rs.Size())
		}
		if l, ok := rs.(interface{ Leave() }); ok {
			defer l.Leave() // the others' next all-reduce fails instead of waiting
		}
	}
	if opts.Resume != nil {
		if err := opts.Resume.check(&cfg); err != nil {
			return nil, nil, err
		}
	}
	r := &runner{
		ctx: ctx, ds: ds, cfg: cfg, obs: obs, hooks: h, opts: opts,
		rep:    &Report{Provenance: CurrentProvenance(cfg.Seed), Config: cfg},
		models: map[Phase]*Model{},
	}
	start := time.Now()
	err := r.run()
	r.rep.Seconds = time.Since(start).Seconds()
	if err != nil {
		r.rep.Interrupted = true
		r.rep.Error = err.Error()
	}
	return r.rep, r.models, err
}

func checkDataset(ds *data.Dataset, cfg *Config) error {
	need := NeededParts(cfg)
	if ds == nil {
		return fmt.Errorf("%w: no dataset", ErrData)
	}
	if need&data.TrainImages != 0 && ds.Train == nil {
		return fmt.Errorf("%w: phase dae needs the train images (%s)", ErrData, data.TrainImagesFile)
	}
	if need&data.TestImages != 0 && (ds.Test == nil || ds.TestLabels == nil) {
		return fmt.Errorf("%w: the classifiers need the t10k images and labels (%s, %s)",
			ErrData, data.TestImagesFile, data.TestLabelsFile)
	}
	for _, im := range []*data.Images{ds.Train, ds.Test} {
		if im != nil && (im.Rows != imgSide || im.Cols != imgSide) {
			return fmt.Errorf("%w: images are %dx%d, the models take %dx%d", ErrData, im.Rows, im.Cols, imgSide, imgSide)
		}
	}
	return nil
}

// CheckSplits reports whether the split sizes of cfg fit ds (pool sizes,
// stratified sizes that are multiples of the class count, enough images
// of every class), with an error wrapping [ErrConfig] that says what does
// not fit. [Run] checks the same before training.
func CheckSplits(cfg *Config, ds *data.Dataset) error {
	_, err := splitsFor(cfg, ds)
	return err
}

// splitsFor draws the run's splits from its own random stream. Pools that
// no selected phase uses are left empty, so their files need not be
// loaded; the draws of the others do not change.
func splitsFor(cfg *Config, ds *data.Dataset) (data.Splits, error) {
	sc := cfg.Splits
	nTrain := 0
	if ds.Train != nil {
		nTrain = ds.Train.N
	}
	need := NeededParts(cfg)
	if need&data.TrainImages == 0 {
		sc.UnsupTrain, sc.UnsupVal, nTrain = 0, 0, 0
	}
	if need&data.TestLabels == 0 {
		sc.SupTrain, sc.SupVal, sc.SupTest = 0, 0, 0
	}
	s, err := data.MakeSplits(sc, nTrain, ds.TestLabels, Stream(cfg.Seed, streamSplits))
	if err != nil {
		return s, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return s, nil
}

// runner holds one experiment's state while it runs.
type runner struct {
	ctx    context.Context
	ds     *data.Dataset
	cfg    Config
	obs    Observer
	hooks  hooks
	opts   RunOptions
	splits data.Splits

	rep    *Report
	models map[Phase]*Model
}

func (r *runner) run() error {
	var err error
	if r.splits, err = splitsFor(&r.cfg, r.ds); err != nil {
		return err
	}

	if res := r.opts.Resume; res != nil {
		r.restoreFinished(res)
	}
	if r.cfg.Runs(PhaseBaseline) && r.rep.Baseline == nil {
		m, err := r.newCNN()
		if err != nil {
			return err
		}
		if r.rep.Baseline, err = r.classifier(PhaseBaseline, m, true); err != nil {
			return err
		}
	}
	if r.cfg.Runs(PhaseDAE) && r.rep.DAE == nil {
		if _, r.rep.DAE, err = r.autoencoder(); err != nil {
			return err
		}
		r.rep.EncoderPretrained = r.cfg.DAE.Epochs > 0
	}
	if r.cfg.Runs(PhasePretrained) && r.rep.Pretrained == nil {
		m, err := r.newCNN()
		if err != nil {
			return err
		}
		if !r.hooks.randomEncoder {
			CopyEncoder(m, r.models[PhaseDAE])
		}
		if r.rep.Pretrained, err = r.classifier(PhasePretrained, m, false); err != nil {
			return err
		}
	}
	if r.cfg.Runs(PhaseFineTune) && r.rep.FineTuned == nil {
		m := r.models[PhasePretrained].Clone()
		if r.rep.FineTuned, err = r.classifier(PhaseFineTune, m, true); err != nil {
			return err
		}
	}
	r.compare()
	return nil
}

// compare pairs the baseline's test predictions with those of the
// other classifiers.
func (r *runner) compare() {
	if r.rep.Baseline == nil {
		return
	}
	truth := make([]uint8, len(r.splits.SupTest))
	for k, i := range r.splits.SupTest {
		truth[k] = r.ds.TestLabels[i]
	}
	for _, other := range []*ClassifierResult{r.rep.Pretrained, r.rep.FineTuned} {
		if other != nil {
			r.rep.Comparisons = append(r.rep.Comparisons, spec.Compare(r.rep.Baseline, other, truth))
		}
	}
}

// newNet wraps m for training in phase p, with the run's hooks.
func (r *runner) newNet(p Phase, m *Model, trainable []bool, lr float64) *net {
	if r.hooks.phaseStart != nil {
		r.hooks.phaseStart(p, m)
	}
	// Collect the previous phase's net before this one builds its graphs,
	// so that the peak heap is one phase's, not two: in a browser worker
	// that peak is the WebAssembly memory for the worker's whole life.
	runtime.GC()
	n := newNet(m, trainable, lr)
	n.replicas = r.opts.Replicas
	if h := r.hooks.gradHook; h != nil {
		n.gradHook = func(i int, g []float32) { h(p, i, g) }
	}
	return n
}

// newCNN returns a classifier with the baseline's own Glorot encoder and
// the dense head that both classifiers share, each from its own stream.
func (r *runner) newCNN() (*Model, error) {
	m, err := NewModel(ArchCNN, Stream(r.cfg.Seed, streamInitHead))
	if err != nil {
		return nil, err
	}
	enc, err := NewModel(ArchCNN, Stream(r.cfg.Seed, streamInitEncoder))
	if err != nil {
		return nil, err
	}
	CopyEncoder(m, enc)
	return m, nil
}

// classifier trains m as phase p on the supervised split, with the
// encoder frozen unless trainEncoder, and evaluates it.
func (r *runner) classifier(p Phase, m *Model, trainEncoder bool) (*ClassifierResult, error) {
	tr := r.cfg.TrainFor(p)
	order := streamOrderCNN
	if p == PhaseFineTune {
		order = streamOrderFT
	}
	im, labels, s := r.ds.Test, r.ds.TestLabels, r.splits
	orderSrc := streamPCG(r.cfg.Seed, order)
	cur, err := r.resumed(p, tr, s.SupTrain)
	if err != nil {
		return nil, err
	}
	if cur != nil {
		m = cur.Model
		if orderSrc, err = pcgFrom(cur.Order); err != nil {
			return nil, err
		}
	}
	trainable := make([]bool, len(m.Params))
	for i := range trainable {
		trainable[i] = trainEncoder || i >= numEncoderTensors
	}
	n := r.newNet(p, m, trainable, tr.LearningRate)
	defer n.close()
	f := &fitter{ctx: r.ctx, phase: p, tr: tr, obs: r.obs, order: rand.New(orderSrc)}
	r.prepare(f, n, cur, orderSrc, nil)

	start := time.Now()
	hist, err := f.epochs(n, s.SupTrain, classifierStep(im, labels), func() (float64, float64, error) {
		ev, _, err := evalClassifier(n, im, labels, s.SupVal, tr.BatchSize, f.evalTick())
		return ev.Loss, ev.Accuracy, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	res := &ClassifierResult{Phase: p, History: hist}
	if res.Train, _, err = evalClassifier(n, im, labels, s.SupTrain, tr.BatchSize, f.evalTick()); err != nil {
		return nil, fmt.Errorf("%s: evaluate: %w", p, err)
	}
	if res.Val, _, err = evalClassifier(n, im, labels, s.SupVal, tr.BatchSize, f.evalTick()); err != nil {
		return nil, fmt.Errorf("%s: evaluate: %w", p, err)
	}
	if res.Test, res.Predictions, err = evalClassifier(n, im, labels, s.SupTest, tr.BatchSize, f.evalTick()); err != nil {
		return nil, fmt.Errorf("%s: evaluate: %w", p, err)
	}
	var total [NumClasses]int
	for k, i := range s.SupTest {
		t := labels[i]
		res.Confusion[t][res.Predictions[k]]++
		total[t]++
	}
	for c := range total {
		if total[c] > 0 {
			res.PerClass[c] = float64(res.Confusion[c][c]) / float64(total[c])
		}
	}
	res.Seconds = time.Since(start).Seconds()
	r.models[p] = m
	f.end()
	return res, nil
}

// autoencoder trains the DAE on the unsupervised split and evaluates it.
func (r *runner) autoencoder() (*Model, *DAEResult, error) {
	tr := r.cfg.DAE
	m, err := NewModel(ArchDAE, Stream(r.cfg.Seed, streamInitDAE))
	if err != nil {
		return nil, nil, err
	}
	im, s, sigma := r.ds.Train, r.splits, r.cfg.Noise
	orderSrc, noiseSrc := streamPCG(r.cfg.Seed, streamOrderDAE), streamPCG(r.cfg.Seed, streamNoiseTrain)
	cur, err := r.resumed(PhaseDAE, tr, s.UnsupTrain)
	if err != nil {
		return nil, nil, err
	}
	if cur != nil {
		m = cur.Model
		if orderSrc, err = pcgFrom(cur.Order); err != nil {
			return nil, nil, err
		}
		if noiseSrc, err = pcgFrom(cur.Noise); err != nil {
			return nil, nil, err
		}
	}
	trainable := make([]bool, len(m.Params))
	for i := range trainable {
		trainable[i] = true
	}
	n := r.newNet(PhaseDAE, m, trainable, tr.LearningRate)
	defer n.close()
	f := &fitter{ctx: r.ctx, phase: PhaseDAE, tr: tr, obs: r.obs, order: rand.New(orderSrc)}
	r.prepare(f, n, cur, orderSrc, noiseSrc)
	valMSE := func(grid *SampleGrid) (float64, error) {
		return evalDAE(n, im, s.UnsupVal, sigma, Stream(r.cfg.Seed, streamNoiseVal), tr.BatchSize, grid, f.evalTick())
	}

	start := time.Now()
	hist, err := f.epochs(n, s.UnsupTrain, daeStep(im, sigma, rand.New(noiseSrc)), func() (float64, float64, error) {
		l, err := valMSE(nil)
		return l, 0, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("dae: %w", err)
	}
	res := &DAEResult{History: hist, Grid: SampleGrid{N: r.cfg.GridImages}}
	if res.ValMSE, err = valMSE(&res.Grid); err != nil {
		return nil, nil, fmt.Errorf("dae: evaluate: %w", err)
	}
	trainNoise := Stream(r.cfg.Seed, streamNoiseTrainEval)
	if res.TrainMSE, err = evalDAE(n, im, s.UnsupTrain, sigma, trainNoise, tr.BatchSize, nil, f.evalTick()); err != nil {
		return nil, nil, fmt.Errorf("dae: evaluate: %w", err)
	}
	res.Seconds = time.Since(start).Seconds()
	r.models[PhaseDAE] = m
	f.end()
	return m, res, nil
}

// restoreFinished takes the results and models of the phases that a
// resumed run had finished.
func (r *runner) restoreFinished(res *State) {
	for p, m := range res.Models {
		r.models[p] = m
	}
	r.rep.Baseline, r.rep.DAE = res.Report.Baseline, res.Report.DAE
	r.rep.Pretrained, r.rep.FineTuned = res.Report.Pretrained, res.Report.FineTuned
	r.rep.EncoderPretrained = res.Report.EncoderPretrained
}

// resumed returns the saved state of phase p when the run resumes in the
// middle of it, after checking that it fits the phase's settings and
// training pool.
func (r *runner) resumed(p Phase, tr Train, pool []int) (*PhaseState, error) {
	res := r.opts.Resume
	if res == nil || res.Current == nil || res.Current.Phase != p {
		return nil, nil
	}
	c := res.Current
	if err := c.checkPhase(p, tr, pool); err != nil {
		return nil, err
	}
	return c, nil
}

// prepare sets f and n up to go on from cur, when resuming, and to save
// the run's state after every epoch, when asked to. noiseSrc is the
// DAE's training-noise generator, nil for classifiers.
func (r *runner) prepare(f *fitter, n *net, cur *PhaseState, orderSrc, noiseSrc *rand.PCG) {
	if cur != nil {
		f.done, f.perm, f.hist = cur.Epoch, slices.Clone(cur.Perm), slices.Clone(cur.History)
		n.opt.t, n.opt.m, n.opt.v = cur.AdamSteps, cloneRows(cur.AdamM), cloneRows(cur.AdamV)
	}
	save := r.opts.Checkpoint
	if save == nil {
		return
	}
	f.checkpoint = func(epoch int, perm []int, hist []EpochStats) {
		st := &State{Config: r.cfg, Models: map[Phase]*Model{}}
		st.Report.Baseline, st.Report.DAE = r.rep.Baseline, r.rep.DAE
		st.Report.Pretrained, st.Report.FineTuned = r.rep.Pretrained, r.rep.FineTuned
		st.Report.EncoderPretrained = r.rep.EncoderPretrained
		for p, m := range r.models {
			st.Models[p] = m
		}
		c := &PhaseState{
			Phase: f.phase, Epoch: epoch, Model: n.model.Clone(), History: slices.Clone(hist),
			AdamSteps: n.opt.t, AdamM: cloneRows(n.opt.m), AdamV: cloneRows(n.opt.v),
			Perm: slices.Clone(perm),
		}
		var err error
		if c.Order, err = orderSrc.MarshalBinary(); err == nil && noiseSrc != nil {
			c.Noise, err = noiseSrc.MarshalBinary()
		}
		if err != nil {
			return // a PCG always marshals; nothing to save otherwise
		}
		st.Current = c
		save(st)
	}
}

func cloneRows(rows [][]float32) [][]float32 {
	if rows == nil {
		return nil
	}
	out := make([][]float32, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
	}
	return out
}
