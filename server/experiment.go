package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"warmstart/nn"
	"warmstart/nn/data"
	"warmstart/server/internal/atomicfile"
	"warmstart/server/internal/progress"
	"warmstart/server/internal/report"
)

// experimentOptions are the experiment flags that do not change the
// numbers, only where data comes from and where results go.
type experimentOptions struct {
	DataDir    string // "" means data.Locate's default search
	OutDir     string // "" means a fresh directory under out/
	Threads    int    // GOMAXPROCS; 0 keeps all cores
	SaveModels bool
	Quiet      bool
	Resume     bool // continue from OutDir's checkpoint, with its settings

	// Seeds, when set, runs the experiment once per seed and summarises
	// the runs; seedsArg is the flag's text, for the folder name.
	Seeds    []uint64
	seedsArg string
}

// checkpointFile holds the run's state after its last finished epoch, in
// the output directory, until the run completes.
const checkpointFile = "checkpoint.state"

// afterCheckpoint, when set by a test, runs after each checkpoint is
// saved, to interrupt a run at an exact epoch.
var afterCheckpoint func()

// usageError is an error in the command line: the command exits with
// status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// experimentFlags is the flag set of the experiment command and the
// variables it fills.
type experimentFlags struct {
	fs *flag.FlagSet

	seed        uint64
	phases      string
	epochs      int
	batch       int
	lr          float64
	finetuneLR  float64
	noise       float64
	randomSplit bool
	grid        int
	phaseEpochs map[nn.Phase]*int
	phaseBatch  map[nn.Phase]*int
	splits      data.SplitConfig
	opts        experimentOptions
}

func newExperimentFlags() *experimentFlags {
	def := nn.DefaultConfig()
	f := &experimentFlags{
		fs:          flag.NewFlagSet("experiment", flag.ContinueOnError),
		phaseEpochs: map[nn.Phase]*int{},
		phaseBatch:  map[nn.Phase]*int{},
	}
	fs := f.fs
	fs.SetOutput(io.Discard)
	f.seed = def.Seed
	fs.Func("seed", fmt.Sprintf("`seed` of every random stream (splits, initial weights, batch order, noise) (default %d)", def.Seed),
		func(s string) error {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return errors.New("a seed is a whole number from 0 to 18446744073709551615")
			}
			f.seed = v
			return nil
		})
	fs.StringVar(&f.phases, "phases", "all",
		"comma-separated `list` of phases to run: baseline, dae, pretrained, finetune, or all")
	fs.IntVar(&f.epochs, "epochs", def.Baseline.Epochs,
		"epochs of every phase; the per-phase flags override it")
	fs.IntVar(&f.batch, "batch", def.Baseline.BatchSize,
		"batch `size` of every phase; the per-phase flags override it")
	for _, p := range nn.AllPhases {
		t := def.TrainFor(p)
		f.phaseEpochs[p] = fs.Int(string(p)+"-epochs", t.Epochs, "epochs of phase "+string(p))
		f.phaseBatch[p] = fs.Int(string(p)+"-batch", t.BatchSize, "batch `size` of phase "+string(p))
	}
	fs.Float64Var(&f.lr, "lr", def.Baseline.LearningRate,
		"Adam learning `rate` of phases baseline, dae and pretrained")
	fs.Float64Var(&f.finetuneLR, "finetune-lr", def.FineTune.LearningRate,
		"Adam learning `rate` of phase finetune")
	fs.Float64Var(&f.noise, "noise", def.Noise,
		"standard deviation `sigma` of the DAE's Gaussian corruption")
	fs.IntVar(&f.splits.UnsupTrain, "unsup-train", def.Splits.UnsupTrain,
		"unlabeled training images for the DAE")
	fs.IntVar(&f.splits.UnsupVal, "unsup-val", def.Splits.UnsupVal,
		"unlabeled validation images for the DAE")
	fs.IntVar(&f.splits.SupTrain, "sup-train", def.Splits.SupTrain,
		"labeled training images for the classifiers")
	fs.IntVar(&f.splits.SupVal, "sup-val", def.Splits.SupVal,
		"labeled validation images for the classifiers")
	fs.IntVar(&f.splits.SupTest, "sup-test", def.Splits.SupTest,
		"labeled test images for the classifiers")
	fs.BoolVar(&f.randomSplit, "random-split", !def.Splits.Stratified,
		"draw the labeled splits by plain random sampling instead of stratified by class")
	fs.IntVar(&f.grid, "grid", def.GridImages,
		"validation `images` in the clean / noisy / denoised sample grid")
	fs.StringVar(&f.opts.DataDir, "data", "",
		"`directory` of the Fashion-MNIST files (default: ./data, then /usr/share/datasets/fashion-mnist)")
	fs.StringVar(&f.opts.OutDir, "out", "",
		"output `directory`, created if needed (default: out/<UTC time>-seed<seed>)")
	fs.IntVar(&f.opts.Threads, "threads", 0,
		"`n` threads for training (GOMAXPROCS); 0 uses every core")
	fs.BoolVar(&f.opts.SaveModels, "save-models", false,
		"also write each trained model as <phase>.model in the output directory")
	fs.StringVar(&f.opts.seedsArg, "seeds", "",
		"run once per seed of `list` (e.g. 1-5 or 1,4,9), each into seed<N> of -out, then write summary.md with means and 95% intervals over seeds")
	fs.BoolVar(&f.opts.Resume, "resume", false,
		"continue the interrupted run in -out from its last finished epoch, with its settings")
	fs.BoolVar(&f.opts.Quiet, "quiet", false,
		"show no progress; log only warnings and errors")
	return f
}

// parseExperimentFlags maps the experiment command's arguments to the
// configuration of the run and the options around it. Flags left out keep
// [nn.DefaultConfig]'s values; -epochs and -batch set every phase and the
// per-phase flags then override them. The configuration is validated. Every
// error is a usageError, and flag.ErrHelp is returned as is for -h.
func parseExperimentFlags(args []string) (nn.Config, experimentOptions, error) {
	f := newExperimentFlags()
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nn.Config{}, experimentOptions{}, err
		}
		return nn.Config{}, experimentOptions{}, usageError{err}
	}
	if f.fs.NArg() > 0 {
		return nn.Config{}, experimentOptions{}, usageErrorf("unexpected argument %q", f.fs.Arg(0))
	}
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	cfg := nn.DefaultConfig()
	cfg.Seed = f.seed
	phases, err := nn.ParsePhases(f.phases)
	if err != nil {
		return nn.Config{}, experimentOptions{}, usageErrorf("-phases: %w", err)
	}
	cfg.Phases = phases
	for _, p := range nn.AllPhases {
		t := trainOf(&cfg, p)
		if set["epochs"] {
			t.Epochs = f.epochs
		}
		if set[string(p)+"-epochs"] {
			t.Epochs = *f.phaseEpochs[p]
		}
		if set["batch"] {
			t.BatchSize = f.batch
		}
		if set[string(p)+"-batch"] {
			t.BatchSize = *f.phaseBatch[p]
		}
		if p == nn.PhaseFineTune {
			t.LearningRate = f.finetuneLR
		} else {
			t.LearningRate = f.lr
		}
	}
	cfg.Noise = f.noise
	cfg.Splits = f.splits
	cfg.Splits.Stratified = !f.randomSplit
	cfg.GridImages = f.grid

	if f.opts.Threads < 0 {
		return nn.Config{}, experimentOptions{}, usageErrorf("-threads %d is negative", f.opts.Threads)
	}
	if f.opts.seedsArg != "" {
		if set["seed"] {
			return nn.Config{}, experimentOptions{}, usageErrorf("give -seed or -seeds, not both")
		}
		if f.opts.Resume {
			return nn.Config{}, experimentOptions{}, usageErrorf("-resume continues one run; resume a seed with -resume -out DIR/seed<N>")
		}
		if f.opts.Seeds, err = parseSeeds(f.opts.seedsArg); err != nil {
			return nn.Config{}, experimentOptions{}, usageErrorf("-seeds: %w", err)
		}
	}
	if f.opts.Resume {
		if f.opts.OutDir == "" {
			return nn.Config{}, experimentOptions{}, usageErrorf("-resume needs -out, the directory of the run to continue")
		}
		for name := range set {
			switch name {
			case "resume", "out", "data", "threads", "save-models", "quiet":
			default:
				return nn.Config{}, experimentOptions{}, usageErrorf(
					"-resume takes the settings from the checkpoint; drop -%s", name)
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return nn.Config{}, experimentOptions{}, usageError{err}
	}
	return cfg, f.opts, nil
}

// trainOf returns the settings of phase p inside cfg, for editing.
func trainOf(cfg *nn.Config, p nn.Phase) *nn.Train {
	switch p {
	case nn.PhaseBaseline:
		return &cfg.Baseline
	case nn.PhaseDAE:
		return &cfg.DAE
	case nn.PhasePretrained:
		return &cfg.Pretrained
	default:
		return &cfg.FineTune
	}
}

func printExperimentUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: warmstart experiment [flags]

Trains the phases of the experiment on Fashion-MNIST and writes report.md,
results.json and PNG plots into the output directory. Without flags it runs
the published design: all four phases, 10 epochs each, batch 256, seed 1.
Ctrl-C stops at the next batch and still reports the finished phases (exit
status 130); a second Ctrl-C quits at once. After every epoch the run's state
is saved as checkpoint.state in the output directory, so an interrupted run
continues with -resume -out DIR; the checkpoint is removed when the run ends.

Examples:
  warmstart experiment -seed 2 -out out/seed2
  warmstart experiment -phases dae -epochs 1 -unsup-train 6000
  warmstart experiment -resume -out out/seed2

Flags:
`)
	f := newExperimentFlags()
	f.fs.SetOutput(w)
	f.fs.PrintDefaults()
}

// experiment runs the experiment command and returns the exit status.
func (a *app) experiment(ctx context.Context, args []string) int {
	cfg, opts, err := parseExperimentFlags(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printExperimentUsage(a.stdout)
		return exitOK
	case err != nil:
		fmt.Fprintf(a.stderr, "warmstart experiment: %v\nRun 'warmstart experiment -h' for usage.\n", err)
		return exitUsage
	}
	if opts.Threads > 0 {
		runtime.GOMAXPROCS(opts.Threads)
	}
	if opts.Quiet {
		a.level.Set(slog.LevelWarn)
	}
	var resume *nn.State
	if opts.Resume {
		if resume, err = readCheckpoint(opts.OutDir); err != nil {
			fmt.Fprintf(a.stderr, "warmstart experiment: %v\n", err)
			return exitError
		}
		cfg = resume.Config
	}
	freshOut := opts.OutDir == ""
	if freshOut {
		name := "-seed" + strconv.FormatUint(cfg.Seed, 10)
		if len(opts.Seeds) > 0 {
			name = "-seeds" + opts.seedsArg
		}
		opts.OutDir = filepath.Join("out", time.Now().UTC().Format("20060102-150405")+name)
	}
	logConfig(a.log, cfg, opts)
	if resume != nil && resume.Current != nil {
		a.log.Info("resuming", "phase", resume.Current.Phase, "after_epoch", resume.Current.Epoch)
	}

	// Check, then compute: settings, data and the output directory are all
	// checked before training, so that a typo fails in a second rather than
	// after the run; the directory is created only once the data is good,
	// so a failed start leaves nothing behind.
	ds, err := a.loadData(cfg, opts.DataDir)
	if err != nil {
		// Data errors can be long and multi-line: print them as they are.
		fmt.Fprintf(a.stderr, "warmstart experiment: %v\n", err)
		return exitError
	}
	if err := nn.CheckSplits(&cfg, ds); err != nil {
		fmt.Fprintf(a.stderr, "warmstart experiment: %v\nRun 'warmstart experiment -h' for usage.\n", err)
		return exitUsage
	}
	if freshOut {
		// Two runs started in the same second would share the default
		// name: the second takes the next free one.
		dir, err := claimDir(opts.OutDir)
		if err != nil {
			fmt.Fprintf(a.stderr, "warmstart experiment: output directory: %v\n", err)
			return exitError
		}
		if dir != opts.OutDir {
			a.log.Info("output directory", "path", dir, "why", opts.OutDir+" was taken")
		}
		opts.OutDir = dir
	}
	if err := prepareOutDir(opts.OutDir); err != nil {
		fmt.Fprintf(a.stderr, "warmstart experiment: output directory: %v\n", err)
		return exitError
	}

	// The first Ctrl-C cancels ctx and restores the default handling, so a
	// second one ends the process at once.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()

	if len(opts.Seeds) > 0 {
		return a.seeds(ctx, ds, cfg, opts)
	}
	_, status := a.runOne(ctx, ds, cfg, opts, resume)
	if status == exitOK || status == exitInterrupted {
		fmt.Fprintln(a.stdout, filepath.Join(opts.OutDir, report.MarkdownFile))
	}
	return status
}

// seeds runs cfg once per seed of opts.Seeds, each into its own folder
// seed<N> of the output directory, then writes the summary over seeds.
// Ctrl-C stops after the current seed's phases that finished, and the
// summary covers the seeds that finished.
func (a *app) seeds(ctx context.Context, ds *data.Dataset, cfg nn.Config, opts experimentOptions) int {
	var reps []*nn.Report
	status := exitOK
	for i, seed := range opts.Seeds {
		cfg.Seed = seed
		one := opts
		one.OutDir = filepath.Join(opts.OutDir, "seed"+strconv.FormatUint(seed, 10))
		if err := prepareOutDir(one.OutDir); err != nil {
			fmt.Fprintf(a.stderr, "warmstart experiment: output directory: %v\n", err)
			return exitError
		}
		a.log.Info("seed", "seed", seed, "run", strconv.Itoa(i+1)+"/"+strconv.Itoa(len(opts.Seeds)))
		rep, st := a.runOne(ctx, ds, cfg, one, nil)
		if rep != nil {
			reps = append(reps, rep)
		}
		if st != exitOK {
			status = st
			break
		}
	}
	if len(reps) == 0 {
		return status
	}
	if err := report.WriteSummary(opts.OutDir, report.Summarize(reps)); err != nil {
		a.log.Error("write summary", "err", err)
		return exitError
	}
	path := filepath.Join(opts.OutDir, report.SummaryMarkdownFile)
	a.log.Info("summary written", "path", path, "seeds", len(reps))
	fmt.Fprintln(a.stdout, path)
	return status
}

// runOne trains one run of cfg on ds, from resume when it is not nil,
// and writes its report, models and checkpoint into opts.OutDir. It
// returns the report (nil when none could be written) and the exit
// status.
func (a *app) runOne(ctx context.Context, ds *data.Dataset, cfg nn.Config, opts experimentOptions, resume *nn.State) (*nn.Report, int) {
	var obs nn.Observer = func(nn.Event) {}
	if !opts.Quiet {
		obs = progress.New(a.log, progress.Options{Terminal: a.term}).Observe
	}
	ckpt := filepath.Join(opts.OutDir, checkpointFile)
	var ckptErr error
	rep, models, runErr := nn.RunWith(ctx, ds, cfg, obs, nn.RunOptions{
		Resume: resume,
		Checkpoint: func(s *nn.State) {
			b, err := s.MarshalBinary()
			if err == nil {
				err = atomicfile.WriteBytes(ckpt, b)
			}
			if err != nil && ckptErr == nil {
				ckptErr = err // said once; training goes on
				a.log.Warn("cannot save the checkpoint; an interrupted run will not be resumable", "err", err)
			}
			if afterCheckpoint != nil {
				afterCheckpoint()
			}
		},
	})
	if rep == nil {
		a.log.Error("run experiment", "err", runErr)
		return nil, exitError
	}

	// The report decides the status: a Ctrl-C that lands after the last
	// phase finished interrupted nothing.
	status := exitOK
	switch {
	case rep.Interrupted && errors.Is(runErr, context.Canceled):
		a.log.Warn("interrupted; reporting the phases that finished")
		status = exitInterrupted
	case runErr != nil:
		a.log.Error("run experiment; reporting the phases that finished", "err", runErr)
		status = exitError
	}
	if err := report.Write(opts.OutDir, rep); err != nil {
		a.log.Error("write report", "err", err)
		return nil, exitError
	}
	if rep.Interrupted {
		if _, err := os.Stat(ckpt); err == nil {
			a.log.Info("continue from the last finished epoch with: warmstart experiment -resume -out " + opts.OutDir)
		}
	} else if err := os.Remove(ckpt); err != nil && !errors.Is(err, fs.ErrNotExist) {
		a.log.Warn("remove checkpoint", "err", err)
	}
	if !opts.SaveModels {
		models = nil // still clear model files an earlier run left in the folder
	}
	if err := saveModels(a.log, opts.OutDir, rep, models); err != nil {
		a.log.Error("save models", "err", err)
		return nil, exitError
	}
	path := filepath.Join(opts.OutDir, report.MarkdownFile)
	a.log.Info("report written", "path", path, "seconds", strconv.FormatFloat(rep.Seconds, 'f', 1, 64))
	return rep, status
}

// claimDir creates and returns a new directory named base, or base-2,
// base-3 and so on when that exists; creating it is what claims it, so
// two processes never get the same one.
func claimDir(base string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return "", err
	}
	dir := base
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) || i > 1000 {
			return "", err
		}
		dir = base + "-" + strconv.Itoa(i)
	}
}

// prepareOutDir creates dir if needed and checks that files can be
// written in it, by creating and removing a probe file.
func prepareOutDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".warmstart-probe-*")
	if err != nil {
		return fmt.Errorf("%s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// loadData loads the parts of Fashion-MNIST that cfg needs, from dir or,
// when dir is empty, from the first default directory that has them.
func (a *app) loadData(cfg nn.Config, dir string) (*data.Dataset, error) {
	// Locate also checks a given directory, with an error that says what
	// is missing and how to get it.
	dir, err := data.Locate(dir, nn.NeededParts(&cfg))
	if err != nil {
		return nil, err
	}
	parts := nn.NeededParts(&cfg)
	start := time.Now()
	ds, err := data.Load(dir, parts)
	if err != nil {
		return nil, err
	}
	a.log.Info("data", "dir", dir, "parts", parts.String(),
		"elapsed", time.Since(start).Round(time.Millisecond))
	return ds, nil
}

// logConfig dumps the whole configuration at the start of a run.
func logConfig(log *slog.Logger, cfg nn.Config, opts experimentOptions) {
	phases := make([]string, len(cfg.Phases))
	for i, p := range cfg.Phases {
		phases[i] = string(p)
	}
	attrs := []any{
		"seed", cfg.Seed,
		"phases", strings.Join(phases, ","),
	}
	for _, p := range cfg.Phases {
		t := cfg.TrainFor(p)
		attrs = append(attrs, slog.Group(string(p),
			"epochs", t.Epochs, "batch", t.BatchSize, "lr", t.LearningRate))
	}
	s := cfg.Splits
	attrs = append(attrs,
		"noise", cfg.Noise,
		slog.Group("splits", "unsup_train", s.UnsupTrain, "unsup_val", s.UnsupVal,
			"sup_train", s.SupTrain, "sup_val", s.SupVal, "sup_test", s.SupTest,
			"stratified", s.Stratified),
		"grid", cfg.GridImages,
		"threads", runtime.GOMAXPROCS(0),
		"cpus", runtime.NumCPU(),
		"out", opts.OutDir)
	log.Info("config", attrs...)
}

// saveModels writes each trained model as <phase>.model in dir, in run
// order, with the run's provenance in the file header.
func saveModels(log *slog.Logger, dir string, rep *nn.Report, models map[nn.Phase]*nn.Model) error {
	cfgJSON, err := json.Marshal(rep.Config)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	pv := rep.Provenance
	for _, p := range nn.AllPhases {
		path := filepath.Join(dir, string(p)+".model")
		m, ok := models[p]
		if !ok || m == nil {
			// A model file of an earlier run into this folder would
			// disagree with this run's report.
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		meta := map[string]string{
			"phase":        string(p),
			"arch":         string(m.Arch),
			"seed":         strconv.FormatUint(rep.Config.Seed, 10),
			"module":       pv.Module,
			"vcs_revision": pv.VCSRevision,
			"vcs_modified": strconv.FormatBool(pv.VCSModified),
			"go_version":   pv.GoVersion,
			"platform":     pv.GOOS + "/" + pv.GOARCH,
			"started":      pv.Started.UTC().Format(time.RFC3339),
			"config":       string(cfgJSON),
		}
		if p == nn.PhasePretrained || p == nn.PhaseFineTune {
			meta["encoder_pretrained"] = strconv.FormatBool(rep.EncoderPretrained)
		}
		err := atomicfile.Write(path, func(w io.Writer) error { return nn.WriteModel(w, m, meta) })
		if err != nil {
			return err
		}
		log.Info("model saved", "phase", p, "path", path, "params", m.NumParams())
	}
	return nil
}

// readCheckpoint reads the checkpoint an interrupted run left in dir.
func readCheckpoint(dir string) (*nn.State, error) {
	path := filepath.Join(dir, checkpointFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("-resume: %s has no %s: only a run interrupted after its first epoch can be resumed", dir, checkpointFile)
	}
	if err != nil {
		return nil, fmt.Errorf("-resume: %w", err)
	}
	s, err := nn.UnmarshalState(b)
	if err != nil {
		return nil, fmt.Errorf("-resume: %s: %w", path, err)
	}
	return s, nil
}

// maxSeeds bounds -seeds, to catch a typo such as 1-1000000.
const maxSeeds = 1000

// parseSeeds reads a comma-separated list of seeds and inclusive ranges,
// such as "1-5" or "1,4,9-11", refusing repeats.
func parseSeeds(s string) ([]uint64, error) {
	var out []uint64
	seen := map[uint64]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a seed or a range such as 1-5", part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a range such as 1-5", part)
			}
		}
		if b-a >= maxSeeds {
			return nil, fmt.Errorf("%q has more than %d seeds", part, maxSeeds)
		}
		for v := a; v <= b; v++ {
			if seen[v] {
				return nil, fmt.Errorf("seed %d listed twice", v)
			}
			seen[v] = true
			out = append(out, v)
			if len(out) > maxSeeds {
				return nil, fmt.Errorf("more than %d seeds", maxSeeds)
			}
		}
	}
	return out, nil
}
