package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"warmstart/nn"
	"warmstart/nn/data"
)

// TestExperimentResume interrupts a run after its first epoch and resumes
// it: the resumed run must end with the models of a run never
// interrupted, and remove its checkpoint.
func TestExperimentResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on the real dataset")
	}
	if _, err := data.Locate("", data.AllParts); err != nil {
		t.Fatalf("real Fashion-MNIST needed (run `make data`): %v", err)
	}
	args := []string{"experiment", "-phases", "baseline", "-epochs", "2", "-batch", "50",
		"-sup-train", "300", "-sup-val", "100", "-sup-test", "100", "-save-models", "-threads", "2"}

	whole := t.TempDir()
	a, _, stderr := newTestApp()
	if code := a.run(context.Background(), append(args, "-out", whole)); code != exitOK {
		t.Fatalf("uninterrupted run: exit status %d; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(whole, checkpointFile)); err == nil {
		t.Error("a finished run left its checkpoint behind")
	}

	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	afterCheckpoint = cancel // stop during epoch 2
	defer func() { afterCheckpoint = nil }()
	a, _, stderr = newTestApp()
	if code := a.run(ctx, append(args, "-out", out)); code != exitInterrupted {
		t.Fatalf("interrupted run: exit status %d; stderr:\n%s", code, stderr)
	}
	afterCheckpoint = nil
	if !strings.Contains(stderr.String(), "-resume -out "+out) {
		t.Errorf("the log does not say how to resume:\n%s", stderr)
	}

	a, _, stderr = newTestApp()
	if code := a.run(context.Background(), []string{"experiment", "-resume", "-out", out, "-save-models"}); code != exitOK {
		t.Fatalf("resumed run: exit status %d; stderr:\n%s", code, stderr)
	}
	log := stderr.String()
	if !strings.Contains(log, "msg=resuming phase=baseline after_epoch=1") {
		t.Errorf("the log does not say where the run resumed:\n%s", log)
	}
	if strings.Contains(log, "epoch=1/2") || !strings.Contains(log, "msg=epoch phase=baseline epoch=2/2") {
		t.Errorf("the resumed run should train epoch 2 only:\n%s", log)
	}
	read := func(dir string) *nn.Model {
		f, err := os.Open(filepath.Join(dir, "baseline.model"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m, _, err := nn.ReadModel(f, nn.ArchCNN)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if !reflect.DeepEqual(read(out).Params, read(whole).Params) {
		t.Error("the resumed run's model differs from the uninterrupted run's")
	}
	if _, err := os.Stat(filepath.Join(out, checkpointFile)); err == nil {
		t.Error("the resumed run left its checkpoint behind")
	}
}

func TestResumeUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-resume"}, exitUsage, "-resume needs -out"},
		{[]string{"-resume", "-out", dir, "-epochs", "3"}, exitUsage, "drop -epochs"},
		{[]string{"-resume", "-out", dir}, exitError, "has no checkpoint.state"},
	} {
		a, _, stderr := newTestApp()
		if code := a.run(context.Background(), append([]string{"experiment"}, tc.args...)); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit status %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, checkpointFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _, stderr := newTestApp()
	if code := a.run(context.Background(), []string{"experiment", "-resume", "-out", dir}); code != exitError || !strings.Contains(stderr.String(), "bad run state") {
		t.Errorf("corrupt checkpoint: exit status %d, stderr %q", code, stderr)
	}
}

func TestParseSeeds(t *testing.T) {
	for in, want := range map[string][]uint64{
		"1-5":       {1, 2, 3, 4, 5},
		"7":         {7},
		"1, 4,9-11": {1, 4, 9, 10, 11},
	} {
		got, err := parseSeeds(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseSeeds(%q): got %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":         "not a seed",
		"5-1":      "not a range",
		"1,2,1":    "listed twice",
		"x":        "not a seed",
		"1-100000": "more than 1000",
		"-3":       "not a seed",
	} {
		if _, err := parseSeeds(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("parseSeeds(%q): got %v, want an error mentioning %q", in, err, msg)
		}
	}
}

// TestExperimentSeeds runs two seeds of a tiny configuration and checks
// the per-seed folders and the summary.
func TestExperimentSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on the real dataset")
	}
	out := t.TempDir()
	a, stdout, stderr := newTestApp()
	code := a.run(context.Background(), []string{"experiment", "-seeds", "4-5", "-phases", "baseline,dae,pretrained",
		"-epochs", "1", "-batch", "64", "-unsup-train", "256", "-unsup-val", "64", "-sup-train", "100",
		"-sup-val", "50", "-sup-test", "50", "-grid", "2", "-out", out, "-quiet"})
	if code != exitOK {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr)
	}
	if got := strings.TrimSpace(stdout.String()); got != filepath.Join(out, "summary.md") {
		t.Errorf("stdout: got %q, want the summary's path", got)
	}
	for _, name := range []string{"seed4/report.md", "seed5/results.json", "summary.json", "summary.md"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	for _, want := range []string{"2 seeds", "pretrained − baseline", "| 4 |", "| 5 |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
	a, _, stderr = newTestApp()
	if code := a.run(context.Background(), []string{"experiment", "-seeds", "1-2", "-seed", "3"}); code != exitUsage || !strings.Contains(stderr.String(), "not both") {
		t.Errorf("-seed with -seeds: exit status %d, stderr %q", code, stderr)
	}
}
