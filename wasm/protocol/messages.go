package protocol

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"

	"warmstart/nn/spec"
)

// Hello is the page's first message to a new worker.
type Hello struct {
	Build string `json:"build"` // the page's build id
}

// Ready answers Hello.
type Ready struct {
	Build     string `json:"build"`      // the worker's build id; the page compares it with its own
	GoVersion string `json:"go_version"` // Go release that built the worker
	Cores     int    `json:"cores"`      // navigator.hardwareConcurrency, 0 when unknown
	Stored    bool   `json:"stored"`     // results of an earlier run are stored (see Restore)
}

// Start asks the worker to run the experiment.
type Start struct {
	Run     int64       `json:"run"`      // the page's id for this run, > 0; echoed in replies
	Config  spec.Config `json:"config"`   // validated with spec.Config.Validate
	DataURL string      `json:"data_url"` // same-origin folder of the four dataset files, e.g. "/data/"
	// Workers is how many workers train data-parallel (see ReplicaStart);
	// 0 or 1 trains in this worker alone.
	Workers int `json:"workers,omitempty"`
}

// MaxWorkers bounds Start.Workers.
const MaxWorkers = 16

// ReplicaStart is sent by a training worker (rank 0) to each helper
// worker it started for a data-parallel run: train the same run as
// replica Rank of Size, reducing gradients with Reduce and Reduced.
type ReplicaStart struct {
	Run     int64       `json:"run"`
	Config  spec.Config `json:"config"`
	DataURL string      `json:"data_url"`
	Rank    int         `json:"rank"` // 1..Size-1; rank 0 is the sender
	Size    int         `json:"size"`
}

// Reduce carries a replica's share of one step's gradients to rank 0;
// Reduced carries their sum back. Step counts the run's all-reduces from
// 1, so a message of another step is an error, not a silent mix-up.
type Reduce struct {
	Run  int64     `json:"run"`
	Step int64     `json:"step"`
	Buf  []float32 `json:"-"` // blob "buf", little-endian float32
}

// Reduced answers Reduce with the sum over all replicas, in rank order.
type Reduced struct {
	Run  int64     `json:"run"`
	Step int64     `json:"step"`
	Buf  []float32 `json:"-"` // blob "buf"
}

// ReplicaDone is a helper worker's last word on a data-parallel run: it
// finished, or failed with Error.
type ReplicaDone struct {
	Run   int64  `json:"run"`
	Rank  int    `json:"rank"`
	Error string `json:"error,omitempty"`
}

// Cancel asks the worker to stop run Run at the next batch.
type Cancel struct {
	Run int64 `json:"run"`
}

// MaxImageSide bounds Classify images; the page scales larger pictures
// down before sending them.
const MaxImageSide = 4096

// Classify asks the trained classifiers for the class of one picture.
type Classify struct {
	Req    int64  `json:"req"` // the page's id for this request, echoed in the reply
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Pixels []byte `json:"-"` // blob "rgba": Width*Height RGBA pixels, row-major, as canvas ImageData
}

// Prediction is one classifier's answer.
type Prediction struct {
	Phase spec.Phase               `json:"phase"`
	Class int                      `json:"class"` // argmax of Probs
	Probs [spec.NumClasses]float64 `json:"probs"` // softmax probabilities
}

// Classified answers Classify.
type Classified struct {
	Req         int64        `json:"req"`
	Predictions []Prediction `json:"predictions"` // one per trained classifier, in phase order
	Preview     []byte       `json:"-"`           // blob "preview": the 28x28 input as gray bytes, 0 = black
}

// PreviewSide is the side of Classified.Preview, the models' input size.
const PreviewSide = 28

// MaxModelFile bounds a model file sent with LoadModel.
const MaxModelFile = 64 << 20

// LoadModel gives the worker a model file (nn's format) for one phase.
type LoadModel struct {
	Phase spec.Phase `json:"phase"`
	File  []byte     `json:"-"` // blob "model"
}

// ModelLoaded answers LoadModel.
type ModelLoaded struct {
	Phase  spec.Phase `json:"phase"`
	Params int        `json:"params"` // number of weights in the model
}

// Restore asks for the stored results of the last run.
type Restore struct{}

// NothingStored answers Restore when no results are stored.
type NothingStored struct{}

// DataStage says what the worker is doing with a dataset file.
type DataStage string

// The dataset stages, in order.
const (
	DataCached   DataStage = "cached"   // found in the browser's storage, no download
	DataDownload DataStage = "download" // Bytes of Total downloaded so far (Total 0: unknown)
	DataCheck    DataStage = "check"    // decoding and checking, as the native reader does
	DataReady    DataStage = "ready"    // checked and kept for the next visit
)

// Data reports dataset progress during a start.
type Data struct {
	Run   int64     `json:"run"`
	File  string    `json:"file"` // e.g. "train-images-idx3-ubyte.gz"
	Stage DataStage `json:"stage"`
	Bytes int64     `json:"bytes"`
	Total int64     `json:"total"`
}

// Progress reports training progress. Counters are 1-based; Loss and
// Accuracy are the epoch's running means (Accuracy 0 for the DAE).
type Progress struct {
	Run          int64            `json:"run"`
	Phase        spec.Phase       `json:"phase"`
	Event        EventName        `json:"event"`
	Epoch        int              `json:"epoch"`
	Epochs       int              `json:"epochs"`
	Batch        int              `json:"batch"`
	Batches      int              `json:"batches"`
	Loss         float64          `json:"loss"`
	Accuracy     float64          `json:"accuracy"`
	ImagesPerSec float64          `json:"images_per_sec"`
	ElapsedSec   float64          `json:"elapsed_sec"` // since the phase started
	ETASec       float64          `json:"eta_sec"`     // until the phase's training ends; -1 when unknown
	Stats        *spec.EpochStats `json:"stats,omitempty"`
	Evaluated    int              `json:"evaluated,omitempty"`   // images, for eval-batch
	ToEvaluate   int              `json:"to_evaluate,omitempty"` //
	// MemoryBytes is the worker's WebAssembly memory
	// (WebAssembly.Memory.buffer.byteLength) when the message was sent,
	// 0 when unknown; wasm memory never shrinks, so it is the peak so far.
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
}

// EventName is the wire name of an nn event kind.
type EventName string

// The event names, in the order a phase emits them.
const (
	EventPhaseStart EventName = "phase-start"
	EventBatch      EventName = "batch"
	EventEpoch      EventName = "epoch"
	EventEvaluate   EventName = "evaluate"
	EventPhaseEnd   EventName = "phase-end"
	EventEvalBatch  EventName = "eval-batch" // Evaluated of ToEvaluate images done
)

var eventNames = [...]EventName{
	spec.EventPhaseStart: EventPhaseStart,
	spec.EventBatch:      EventBatch,
	spec.EventEpoch:      EventEpoch,
	spec.EventEvaluate:   EventEvaluate,
	spec.EventPhaseEnd:   EventPhaseEnd,
	spec.EventEvalBatch:  EventEvalBatch,
}

// ProgressFrom turns an nn event of run into a Progress message, with the
// phase's remaining time estimated from its pace so far (validation
// included, as it recurs every epoch).
func ProgressFrom(run int64, ev spec.Event) Progress {
	p := Progress{
		Run: run, Phase: ev.Phase, Epoch: ev.Epoch, Epochs: ev.Epochs,
		Batch: ev.Batch, Batches: ev.Batches, Loss: ev.Loss, Accuracy: ev.Accuracy,
		ImagesPerSec: ev.ImagesPerSec, ElapsedSec: ev.Elapsed.Seconds(), ETASec: -1, Stats: ev.Stats,
		Evaluated: ev.Evaluated, ToEvaluate: ev.ToEvaluate,
	}
	if int(ev.Kind) < len(eventNames) {
		p.Event = eventNames[ev.Kind]
	}
	total := ev.Epochs * ev.Batches
	done := (ev.Epoch-1)*ev.Batches + ev.Batch
	switch {
	case ev.Kind == spec.EventEvaluate || ev.Kind == spec.EventPhaseEnd || ev.Kind == spec.EventEvalBatch:
		p.ETASec = 0
	case ev.Kind != spec.EventPhaseStart && done > 0 && total >= done:
		p.ETASec = p.ElapsedSec / float64(done) * float64(total-done)
	}
	return p
}

// Result carries a run's report. Its arrays (confusion matrices, test
// predictions, the DAE's sample images) and the trained models travel as
// blobs; after Decode the report is whole again.
type Result struct {
	Run       int64        `json:"run"`
	Report    *spec.Report `json:"report"`
	Cancelled bool         `json:"cancelled,omitempty"` // stopped by Cancel; Report holds the phases that finished
	Restored  bool         `json:"restored,omitempty"`  // answers Restore: stored results of an earlier run
	// Models holds each trained model as a model file (nn's format), by
	// phase: blobs "model/<phase>".
	Models map[spec.Phase][]byte `json:"-"`
}

// Code classifies errors so the page can say what to do.
type Code string

// The error codes.
const (
	CodeVersion  Code = "version"  // protocol or build mismatch: reload the page
	CodeBusy     Code = "busy"     // a run is already in progress, here or in another tab
	CodeConfig   Code = "config"   // the settings are invalid; Message names the field
	CodeData     Code = "data"     // the dataset could not be fetched or failed its checks
	CodeStorage  Code = "storage"  // the browser's storage refused (quota, private mode)
	CodeTraining Code = "training" // a phase failed, e.g. the loss became NaN
	CodeImage    Code = "image"    // a picture to classify was unusable
	CodeModel    Code = "model"    // no trained model, or a model file was refused
	CodePanic    Code = "panic"    // the worker crashed; the page must start a new one
	CodeInternal Code = "internal" // anything else
)

// Error reports a failure. Run or Req name the request it answers, when
// there is one.
type Error struct {
	Run     int64  `json:"run,omitempty"`
	Req     int64  `json:"req,omitempty"`
	Code    Code   `json:"code"`
	Message string `json:"message"`        // what happened, for people
	Hint    string `json:"hint,omitempty"` // what to do about it
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Message + " (" + e.Hint + ")"
	}
	return e.Message
}

func (*Hello) Kind() Kind         { return KindHello }
func (*Ready) Kind() Kind         { return KindReady }
func (*Start) Kind() Kind         { return KindStart }
func (*Cancel) Kind() Kind        { return KindCancel }
func (*Classify) Kind() Kind      { return KindClassify }
func (*Classified) Kind() Kind    { return KindClassified }
func (*LoadModel) Kind() Kind     { return KindLoadModel }
func (*ModelLoaded) Kind() Kind   { return KindModelLoaded }
func (*Restore) Kind() Kind       { return KindRestore }
func (*NothingStored) Kind() Kind { return KindNothingStored }
func (*Data) Kind() Kind          { return KindData }
func (*Progress) Kind() Kind      { return KindProgress }
func (*Result) Kind() Kind        { return KindResult }
func (*Error) Kind() Kind         { return KindError }

func (m *Hello) validate() error {
	if m.Build == "" {
		return errors.New("build is empty")
	}
	return nil
}

func (m *Ready) validate() error {
	if m.Build == "" {
		return errors.New("build is empty")
	}
	if m.Cores < 0 {
		return fmt.Errorf("cores %d is negative", m.Cores)
	}
	return nil
}

func (m *Start) validate() error {
	if m.Workers < 0 || m.Workers > MaxWorkers {
		return fmt.Errorf("workers %d out of range [0, %d]", m.Workers, MaxWorkers)
	}
	return validRun(m.Run, &m.Config, m.DataURL)
}

func (m *ReplicaStart) validate() error {
	if m.Size < 2 || m.Size > MaxWorkers || m.Rank < 1 || m.Rank >= m.Size {
		return fmt.Errorf("replica %d of %d: ranks run from 1 to size-1, size from 2 to %d", m.Rank, m.Size, MaxWorkers)
	}
	return validRun(m.Run, &m.Config, m.DataURL)
}

func (m *Reduce) validate() error  { return validStep(m.Run, m.Step) }
func (m *Reduced) validate() error { return validStep(m.Run, m.Step) }

func (m *ReplicaDone) validate() error {
	if m.Run <= 0 || m.Rank < 1 || m.Rank >= MaxWorkers {
		return fmt.Errorf("run %d, rank %d", m.Run, m.Rank)
	}
	return nil
}

func validStep(run, step int64) error {
	if run <= 0 || step <= 0 {
		return fmt.Errorf("run %d, step %d: both must be positive", run, step)
	}
	return nil
}

func (m *Reduce) blobs() (any, map[string][]byte, error) {
	return m, map[string][]byte{"buf": f32Bytes(m.Buf)}, nil
}

func (m *Reduce) setBlobs(b map[string][]byte) (err error) {
	m.Buf, err = bufBlob(b)
	return err
}

func (m *Reduced) blobs() (any, map[string][]byte, error) {
	return m, map[string][]byte{"buf": f32Bytes(m.Buf)}, nil
}

func (m *Reduced) setBlobs(b map[string][]byte) (err error) {
	m.Buf, err = bufBlob(b)
	return err
}

func bufBlob(b map[string][]byte) ([]float32, error) {
	if err := onlyBlobs(b, "buf"); err != nil {
		return nil, err
	}
	if len(b["buf"])%4 != 0 {
		return nil, fmt.Errorf("buf has %d bytes, not whole float32s", len(b["buf"]))
	}
	return bytesF32(b["buf"]), nil
}

// validRun checks what Start and ReplicaStart share.
func validRun(run int64, cfg *spec.Config, dataURL string) error {
	if run <= 0 {
		return fmt.Errorf("run id %d must be positive", run)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	u, err := url.Parse(dataURL)
	if err != nil || dataURL == "" || u.Scheme != "" || u.Host != "" || strings.HasPrefix(dataURL, "//") {
		return fmt.Errorf("data URL %q must be a same-origin path such as /data/", dataURL)
	}
	return nil
}

func (m *Cancel) validate() error {
	if m.Run <= 0 {
		return fmt.Errorf("run id %d must be positive", m.Run)
	}
	return nil
}

func (m *Classify) validate() error {
	if m.Width < 1 || m.Height < 1 || m.Width > MaxImageSide || m.Height > MaxImageSide {
		return fmt.Errorf("image is %dx%d; each side must be 1 to %d pixels", m.Width, m.Height, MaxImageSide)
	}
	if want := m.Width * m.Height * 4; len(m.Pixels) != want {
		return fmt.Errorf("rgba blob has %d bytes, a %dx%d image needs %d", len(m.Pixels), m.Width, m.Height, want)
	}
	return nil
}

func (m *Classify) blobs() (any, map[string][]byte, error) {
	return m, map[string][]byte{"rgba": m.Pixels}, nil
}

func (m *Classify) setBlobs(b map[string][]byte) error {
	if err := onlyBlobs(b, "rgba"); err != nil {
		return err
	}
	m.Pixels = b["rgba"]
	return nil
}

func (m *Classified) validate() error {
	if len(m.Preview) != PreviewSide*PreviewSide {
		return fmt.Errorf("preview has %d bytes, want %d", len(m.Preview), PreviewSide*PreviewSide)
	}
	for _, p := range m.Predictions {
		if err := validPhase(p.Phase); err != nil {
			return err
		}
		if p.Class < 0 || p.Class >= spec.NumClasses {
			return fmt.Errorf("%s: class %d out of range", p.Phase, p.Class)
		}
		for _, v := range p.Probs {
			if !(v >= 0 && v <= 1) {
				return fmt.Errorf("%s: probability %v out of [0, 1]", p.Phase, v)
			}
		}
	}
	return nil
}

func (m *Classified) blobs() (any, map[string][]byte, error) {
	return m, map[string][]byte{"preview": m.Preview}, nil
}

func (m *Classified) setBlobs(b map[string][]byte) error {
	if err := onlyBlobs(b, "preview"); err != nil {
		return err
	}
	m.Preview = b["preview"]
	return nil
}

func (m *LoadModel) validate() error {
	if err := validPhase(m.Phase); err != nil {
		return err
	}
	if len(m.File) == 0 || len(m.File) > MaxModelFile {
		return fmt.Errorf("model file is %d bytes; it must be 1 byte to %d MiB", len(m.File), MaxModelFile>>20)
	}
	return nil
}

func (m *LoadModel) blobs() (any, map[string][]byte, error) {
	return m, map[string][]byte{"model": m.File}, nil
}

func (m *LoadModel) setBlobs(b map[string][]byte) error {
	if err := onlyBlobs(b, "model"); err != nil {
		return err
	}
	m.File = b["model"]
	return nil
}

func (m *ModelLoaded) validate() error { return validPhase(m.Phase) }
func (*Restore) validate() error       { return nil }
func (*NothingStored) validate() error { return nil }

func (m *Data) validate() error {
	switch m.Stage {
	case DataCached, DataDownload, DataCheck, DataReady:
	default:
		return fmt.Errorf("unknown data stage %q", m.Stage)
	}
	if m.File == "" || m.Bytes < 0 || m.Total < 0 {
		return fmt.Errorf("data progress for %q: bytes %d, total %d", m.File, m.Bytes, m.Total)
	}
	return nil
}

func (m *Progress) validate() error {
	if err := validPhase(m.Phase); err != nil {
		return err
	}
	switch m.Event {
	case EventPhaseStart, EventBatch, EventEpoch, EventEvaluate, EventPhaseEnd, EventEvalBatch:
	default:
		return fmt.Errorf("unknown event %q", m.Event)
	}
	if m.Epochs < 0 || m.Batches < 0 || m.Epoch < 0 || m.Epoch > m.Epochs || m.Batch < 0 || m.Batch > m.Batches {
		return fmt.Errorf("counters out of range: epoch %d/%d, batch %d/%d", m.Epoch, m.Epochs, m.Batch, m.Batches)
	}
	if m.Evaluated < 0 || m.ToEvaluate < 0 || m.Evaluated > m.ToEvaluate {
		return fmt.Errorf("evaluated %d of %d images", m.Evaluated, m.ToEvaluate)
	}
	if (m.Event == EventEpoch) != (m.Stats != nil) {
		return errors.New("stats must come with, and only with, an epoch event")
	}
	if m.MemoryBytes < 0 {
		return fmt.Errorf("memory %d bytes is negative", m.MemoryBytes)
	}
	return nil
}

func (m *Error) validate() error {
	if m.Code == "" || m.Message == "" {
		return errors.New("error needs a code and a message")
	}
	return nil
}

func (m *Result) validate() error {
	if m.Report == nil {
		return errors.New("result has no report")
	}
	for p, f := range m.Models {
		if err := validPhase(p); err != nil {
			return err
		}
		if len(f) == 0 || len(f) > MaxModelFile {
			return fmt.Errorf("model %s is %d bytes", p, len(f))
		}
	}
	return nil
}

// classifiers returns the report's classifier results by phase.
func classifiers(r *spec.Report) map[spec.Phase]**spec.ClassifierResult {
	return map[spec.Phase]**spec.ClassifierResult{
		spec.PhaseBaseline: &r.Baseline, spec.PhasePretrained: &r.Pretrained, spec.PhaseFineTune: &r.FineTuned,
	}
}

// blobs moves the report's arrays out of a copy of it, leaving the
// caller's report untouched.
func (m *Result) blobs() (any, map[string][]byte, error) {
	out := *m
	rep := *m.Report
	out.Report = &rep
	b := map[string][]byte{}
	for p, cr := range classifiers(&rep) {
		if *cr == nil {
			continue
		}
		c := **cr
		b["confusion/"+string(p)] = confusionBytes(&c.Confusion)
		b["predictions/"+string(p)] = c.Predictions
		c.Confusion, c.Predictions = [spec.NumClasses][spec.NumClasses]int{}, nil
		*cr = &c
	}
	if rep.DAE != nil {
		d := *rep.DAE
		g := d.Grid
		b["grid/clean"], b["grid/noisy"], b["grid/denoised"] = f32Bytes(g.Clean), f32Bytes(g.Noisy), f32Bytes(g.Denoised)
		d.Grid.Clean, d.Grid.Noisy, d.Grid.Denoised = nil, nil, nil
		rep.DAE = &d
	}
	for p, f := range m.Models {
		b["model/"+string(p)] = f
	}
	return &out, b, nil
}

// setBlobs puts the arrays back into the decoded report.
func (m *Result) setBlobs(b map[string][]byte) error {
	if m.Report == nil {
		return errors.New("result has no report")
	}
	used := 0
	for p, cr := range classifiers(m.Report) {
		if *cr == nil {
			continue
		}
		c := *cr
		conf, ok := b["confusion/"+string(p)]
		if !ok || len(conf) != spec.NumClasses*spec.NumClasses*4 {
			return fmt.Errorf("confusion/%s: want %d bytes, got %d", p, spec.NumClasses*spec.NumClasses*4, len(conf))
		}
		sum := 0
		for i := range spec.NumClasses * spec.NumClasses {
			v := int(int32(le32(conf[4*i:])))
			if v < 0 {
				return fmt.Errorf("confusion/%s: negative count", p)
			}
			c.Confusion[i/spec.NumClasses][i%spec.NumClasses] = v
			sum += v
		}
		pred := b["predictions/"+string(p)]
		if len(pred) != c.Test.N || sum != c.Test.N {
			return fmt.Errorf("%s: %d predictions and %d confusion counts for %d test images", p, len(pred), sum, c.Test.N)
		}
		for _, k := range pred {
			if int(k) >= spec.NumClasses {
				return fmt.Errorf("predictions/%s: class %d out of range", p, k)
			}
		}
		c.Predictions = pred
		used += 2
	}
	if d := m.Report.DAE; d != nil {
		n := d.Grid.N * d.Grid.Rows * d.Grid.Cols
		if d.Grid.N < 0 || d.Grid.Rows < 0 || d.Grid.Cols < 0 || n > 100*28*28 {
			return fmt.Errorf("grid of %d %dx%d images", d.Grid.N, d.Grid.Rows, d.Grid.Cols)
		}
		for _, g := range []struct {
			name string
			dst  *[]float32
		}{{"clean", &d.Grid.Clean}, {"noisy", &d.Grid.Noisy}, {"denoised", &d.Grid.Denoised}} {
			raw, ok := b["grid/"+g.name]
			if !ok || len(raw) != 4*n {
				return fmt.Errorf("grid/%s: want %d bytes, got %d", g.name, 4*n, len(raw))
			}
			*g.dst = bytesF32(raw)
			used++
		}
	}
	m.Models = map[spec.Phase][]byte{}
	for name, f := range b {
		if p, ok := strings.CutPrefix(name, "model/"); ok {
			m.Models[spec.Phase(p)] = f
			used++
		}
	}
	if used != len(b) {
		return fmt.Errorf("%d unexpected blobs", len(b)-used)
	}
	return nil
}

func validPhase(p spec.Phase) error {
	for _, q := range spec.AllPhases {
		if p == q {
			return nil
		}
	}
	return fmt.Errorf("unknown phase %q", p)
}

// onlyBlobs checks that b holds exactly the named blobs.
func onlyBlobs(b map[string][]byte, names ...string) error {
	for _, n := range names {
		if _, ok := b[n]; !ok {
			return fmt.Errorf("blob %q is missing", n)
		}
	}
	if len(b) != len(names) {
		return fmt.Errorf("%d blobs, want %d (%s)", len(b), len(names), strings.Join(names, ", "))
	}
	return nil
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func confusionBytes(c *[spec.NumClasses][spec.NumClasses]int) []byte {
	b := make([]byte, 4*spec.NumClasses*spec.NumClasses)
	for i := range spec.NumClasses * spec.NumClasses {
		put32(b[4*i:], uint32(int32(c[i/spec.NumClasses][i%spec.NumClasses])))
	}
	return b
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		put32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func bytesF32(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(le32(b[4*i:]))
	}
	return v
}

func (*ReplicaStart) Kind() Kind { return KindReplicaStart }
func (*Reduce) Kind() Kind       { return KindReduce }
func (*Reduced) Kind() Kind      { return KindReduced }
func (*ReplicaDone) Kind() Kind  { return KindReplicaDone }
