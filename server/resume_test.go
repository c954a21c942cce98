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
