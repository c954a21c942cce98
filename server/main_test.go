package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"warmstart/nn"
	"warmstart/nn/data"
	"warmstart/server/internal/report"
)

// newTestApp returns an app writing to buffers, as when stderr is not a
// terminal.
func newTestApp() (*app, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	a := &app{stdout: &stdout, stderr: &stderr, level: new(slog.LevelVar)}
	a.log = slog.New(slog.NewTextHandler(&stderr, &slog.HandlerOptions{Level: a.level}))
	return a, &stdout, &stderr
}

func TestParseExperimentFlags(t *testing.T) {
	def := nn.DefaultConfig()
	tests := []struct {
		name     string
		args     []string
		wantCfg  func(c *nn.Config)
		wantOpts experimentOptions
	}{
		{"defaults", nil, func(c *nn.Config) {}, experimentOptions{}},
		{"seed and phases", []string{"-seed", "42", "-phases", "baseline, dae"}, func(c *nn.Config) {
			c.Seed = 42
			c.Phases = []nn.Phase{nn.PhaseBaseline, nn.PhaseDAE}
		}, experimentOptions{}},
		{"epochs for all, one overridden", []string{"-epochs", "3", "-dae-epochs", "0"}, func(c *nn.Config) {
			c.Baseline.Epochs, c.DAE.Epochs, c.Pretrained.Epochs, c.FineTune.Epochs = 3, 0, 3, 3
		}, experimentOptions{}},
		{"per-phase flag before the global one still wins", []string{"-finetune-epochs", "5", "-epochs", "2"}, func(c *nn.Config) {
			c.Baseline.Epochs, c.DAE.Epochs, c.Pretrained.Epochs, c.FineTune.Epochs = 2, 2, 2, 5
		}, experimentOptions{}},
		{"batch sizes", []string{"-batch", "64", "-pretrained-batch", "32", "-baseline-batch", "128"}, func(c *nn.Config) {
			c.Baseline.BatchSize, c.DAE.BatchSize, c.Pretrained.BatchSize, c.FineTune.BatchSize = 128, 64, 32, 64
		}, experimentOptions{}},
		{"learning rates", []string{"-lr", "0.01", "-finetune-lr", "0.0001"}, func(c *nn.Config) {
			c.Baseline.LearningRate, c.DAE.LearningRate, c.Pretrained.LearningRate = 0.01, 0.01, 0.01
			c.FineTune.LearningRate = 0.0001
		}, experimentOptions{}},
		{"data settings", []string{"-noise", "0.5", "-unsup-train", "512", "-unsup-val", "256",
			"-sup-train", "100", "-sup-val", "50", "-sup-test", "40", "-random-split", "-grid", "4"},
			func(c *nn.Config) {
				c.Noise = 0.5
				c.Splits = data.SplitConfig{UnsupTrain: 512, UnsupVal: 256, SupTrain: 100,
					SupVal: 50, SupTest: 40, Stratified: false}
				c.GridImages = 4
			}, experimentOptions{}},
		{"options", []string{"-data", "/d", "-out", "/o", "-threads", "3", "-save-models", "-quiet"},
			func(c *nn.Config) {},
			experimentOptions{DataDir: "/d", OutDir: "/o", Threads: 3, SaveModels: true, Quiet: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, opts, err := parseExperimentFlags(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			want := def
			want.Phases = append([]nn.Phase(nil), def.Phases...)
			tc.wantCfg(&want)
			if !reflect.DeepEqual(cfg, want) {
				t.Errorf("config:\ngot  %+v\nwant %+v", cfg, want)
			}
			if !reflect.DeepEqual(opts, tc.wantOpts) {
				t.Errorf("options: got %+v, want %+v", opts, tc.wantOpts)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"train"}, `unknown command "train"`},
		{"help for an unknown command", []string{"help", "train"}, `unknown command "train"`},
		{"bad phase", []string{"experiment", "-phases", "baseline,bogus"}, `unknown phase "bogus"`},
		{"negative epochs", []string{"experiment", "-epochs", "-1"}, "epochs -1 out of range"},
		{"negative per-phase epochs", []string{"experiment", "-dae-epochs", "-2"}, "dae epochs -2 out of range"},
		{"unknown flag", []string{"experiment", "-epoch", "3"}, "flag provided but not defined: -epoch"},
		{"bad number", []string{"experiment", "-batch", "many"}, `invalid value "many" for flag -batch`},
		{"negative seed", []string{"experiment", "-seed", "-1"}, `invalid value "-1" for flag -seed: a seed is a whole number from 0`},
		{"stray argument", []string{"experiment", "dae"}, `unexpected argument "dae"`},
		{"negative threads", []string{"experiment", "-threads", "-1"}, "-threads -1 is negative"},
		{"pretrained without dae", []string{"experiment", "-phases", "pretrained"}, "needs phase dae"},
		{"zero batch", []string{"experiment", "-batch", "0"}, "batch size 0 out of range"},
		{"grid larger than the validation split", []string{"experiment", "-unsup-val", "5"}, "grid images 10 exceed"},
		{"report without -in", []string{"report"}, "-in is required"},
		{"report unknown flag", []string{"report", "-input", "x"}, "flag provided but not defined: -input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, stdout, stderr := newTestApp()
			if code := a.run(context.Background(), tc.args); code != exitUsage {
				t.Errorf("got exit status %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
			if stdout.Len() > 0 {
				t.Errorf("usage error wrote to stdout:\n%s", stdout)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "Commands:"},
		{[]string{"-h"}, "Commands:"},
		{[]string{"help", "experiment"}, "-finetune-lr"},
		{[]string{"experiment", "-h"}, "-save-models"},
		{[]string{"help", "report"}, "Usage: warmstart report"},
		{[]string{"report", "-h"}, "-in file"},
	}
	for _, tc := range tests {
		a, stdout, _ := newTestApp()
		if code := a.run(context.Background(), tc.args); code != exitOK {
			t.Errorf("%q: got exit status %d, want %d", tc.args, code, exitOK)
		}
		if !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%q: stdout lacks %q:\n%s", tc.args, tc.want, stdout)
		}
	}
}

func TestNeededParts(t *testing.T) {
	tests := []struct {
		phases string
		want   data.Part
	}{
		{"dae", data.TrainImages},
		{"baseline", data.TestImages | data.TestLabels},
		{"dae,pretrained", data.TrainImages | data.TestImages | data.TestLabels},
		{"all", data.TrainImages | data.TestImages | data.TestLabels},
	}
	for _, tc := range tests {
		cfg, _, err := parseExperimentFlags([]string{"-phases", tc.phases})
		if err != nil {
			t.Fatal(err)
		}
		if got := nn.NeededParts(&cfg); got != tc.want {
			t.Errorf("phases %s: got %v, want %v", tc.phases, got, tc.want)
		}
	}
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	r := &nn.Report{
		Config: nn.DefaultConfig(),
		DAE: &nn.DAEResult{
			History:  []nn.EpochStats{{Epoch: 1, TrainLoss: 0.03, ValLoss: 0.02}},
			TrainMSE: 0.02, ValMSE: 0.021,
		},
		Interrupted: true,
	}
	js, err := report.MarshalResults(r)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "results.json")
	if err := os.WriteFile(in, js, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "again")

	a, stdout, stderr := newTestApp()
	if code := a.run(context.Background(), []string{"report", "-in", in, "-out", out}); code != exitOK {
		t.Fatalf("got exit status %d, want %d; stderr:\n%s", code, exitOK, stderr)
	}
	md := filepath.Join(out, report.MarkdownFile)
	if got := strings.TrimSpace(stdout.String()); got != md {
		t.Errorf("stdout: got %q, want the report's path %q", got, md)
	}
	for _, name := range []string{report.MarkdownFile, report.ResultsFile, "dae_loss.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}

	a, _, stderr = newTestApp()
	missing := filepath.Join(dir, "missing.json")
	if code := a.run(context.Background(), []string{"report", "-in", missing}); code != exitError {
		t.Errorf("missing input: got exit status %d, want %d", code, exitError)
	}
	if !strings.HasPrefix(stderr.String(), "warmstart report: ") || !strings.Contains(stderr.String(), "missing.json") {
		t.Errorf("the error does not say the command and name the missing file:\n%s", stderr)
	}
}

// TestExperimentOutDirError: an output folder that cannot be made is
// refused, after the data checks, in a line that says so.
func TestExperimentOutDirError(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the real dataset")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a, _, stderr := newTestApp()
	if code := a.run(context.Background(), []string{"experiment", "-phases", "baseline", "-out", filepath.Join(file, "out")}); code != exitError {
		t.Errorf("got exit status %d, want %d", code, exitError)
	}
	if !strings.Contains(stderr.String(), "\nwarmstart experiment: output directory: ") || !strings.Contains(stderr.String(), "not a directory") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// TestExperimentEndToEnd runs every phase for one epoch on small splits of
// the real dataset and checks what lands in the output directory.
func TestExperimentEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on the real dataset")
	}
	if _, err := data.Locate("", data.AllParts); err != nil {
		t.Fatalf("real Fashion-MNIST needed (run `make data`): %v", err)
	}
	out := t.TempDir()
	a, stdout, stderr := newTestApp()
	code := a.run(context.Background(), []string{"experiment",
		"-seed", "3", "-epochs", "1", "-batch", "64",
		"-unsup-train", "512", "-unsup-val", "256",
		"-sup-train", "100", "-sup-val", "50", "-sup-test", "50",
		"-grid", "4", "-out", out, "-save-models", "-threads", "2"})
	if code != exitOK {
		t.Fatalf("got exit status %d, want %d; stderr:\n%s", code, exitOK, stderr)
	}
	if got, want := strings.TrimSpace(stdout.String()), filepath.Join(out, report.MarkdownFile); got != want {
		t.Errorf("stdout: got %q, want %q", got, want)
	}
	for _, want := range []string{"msg=config", "msg=data", "msg=epoch phase=dae epoch=1/1",
		"msg=epoch phase=finetune epoch=1/1", `msg="report written"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, stderr)
		}
	}
	for _, name := range []string{"report.md", "results.json", "val_accuracy.png", "loss.png",
		"dae_loss.png", "per_class.png", "samples.png", "confusion_baseline.png",
		"confusion_pretrained.png", "confusion_finetune.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	for _, p := range nn.AllPhases {
		f, err := os.Open(filepath.Join(out, string(p)+".model"))
		if err != nil {
			t.Error(err)
			continue
		}
		_, meta, err := nn.ReadModel(f, "")
		f.Close()
		if err != nil {
			t.Errorf("%s.model: %v", p, err)
		} else if meta["phase"] != string(p) || meta["seed"] != "3" {
			t.Errorf("%s.model: meta %v lacks the phase or the seed", p, meta)
		}
	}
}

// TestExperimentInterrupted checks that a cancelled run still writes the
// report, flags it as interrupted and exits with status 130.
func TestExperimentInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the real dataset")
	}
	if _, err := data.Locate("", data.AllParts); err != nil {
		t.Skipf("no dataset: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := t.TempDir()
	a, _, stderr := newTestApp()
	code := a.run(ctx, []string{"experiment", "-phases", "baseline", "-epochs", "1",
		"-sup-train", "100", "-sup-val", "50", "-sup-test", "50", "-out", out})
	if code != exitInterrupted {
		t.Fatalf("got exit status %d, want %d; stderr:\n%s", code, exitInterrupted, stderr)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("the log does not say the run was interrupted:\n%s", stderr)
	}
	md, err := os.ReadFile(filepath.Join(out, report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "this run was interrupted") {
		t.Errorf("report.md lacks the interrupted warning:\n%s", md)
	}

	// A second run into the same folder that trains only the DAE must not
	// leave the first run's classifiers beside its report.
	a, _, stderr = newTestApp()
	code = a.run(context.Background(), []string{"experiment", "-phases", "dae", "-epochs", "1",
		"-unsup-train", "256", "-unsup-val", "64", "-grid", "2", "-out", out, "-save-models"})
	if code != exitOK {
		t.Fatalf("second run: exit status %d; stderr:\n%s", code, stderr)
	}
	for _, p := range nn.AllPhases {
		_, err := os.Stat(filepath.Join(out, string(p)+".model"))
		if exists := err == nil; exists != (p == nn.PhaseDAE) {
			t.Errorf("after a DAE-only run, %s.model exists: %v", p, exists)
		}
	}
}

// TestExperimentFailsBeforeTraining checks that settings that do not fit
// the data and an output path that cannot be written are refused before
// any training, leaving no output folder behind.
func TestExperimentFailsBeforeTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the real dataset")
	}
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"stratified size not a multiple of 10", []string{"-sup-train", "7"}, exitUsage},
		{"more unlabeled images than the file has", []string{"-unsup-train", "59000"}, exitUsage},
		{"output under a file", []string{"-out", filepath.Join(file, "sub")}, exitError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"experiment", "-epochs", "1", "-out", out}, tc.args...)
			a, _, stderr := newTestApp()
			if code := a.run(context.Background(), args); code != tc.code {
				t.Fatalf("got exit status %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if strings.Contains(stderr.String(), "msg=epoch") {
				t.Error("training started before the error")
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a failed start left an output folder")
			}
		})
	}
}

// TestClaimDir: runs started in the same second, whose default output
// folders share a name, each get a folder of their own.
func TestClaimDir(t *testing.T) {
	base := filepath.Join(t.TempDir(), "out", "20261204-120000-seed1")
	var got []string
	for range 3 {
		dir, err := claimDir(base)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, dir)
	}
	want := []string{base, base + "-2", base + "-3"}
	if !slices.Equal(got, want) {
		t.Errorf("claimed %q, want %q", got, want)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := claimDir(filepath.Join(file, "out")); err == nil {
		t.Error("a folder under a file was claimed")
	}
}
