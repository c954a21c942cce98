package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warmstart/nn"
)

// writeModels writes untrained models, as `experiment -save-models` names
// them, into a new directory: a classifier for each phase in phases, and
// a DAE, which classify must skip.
func writeModels(t *testing.T, phases ...nn.Phase) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range append(phases, nn.PhaseDAE) {
		arch := nn.ArchCNN
		if p == nn.PhaseDAE {
			arch = nn.ArchDAE
		}
		m, err := nn.NewModel(arch, rng)
		if err != nil {
			t.Fatal(err)
		}
		b, err := nn.MarshalModel(m, map[string]string{"phase": string(p)})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, string(p)+".model"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writePictures writes a dark bar on white as PNG and as JPEG, and files
// that are no pictures, and returns their paths by name.
func writePictures(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	img := image.NewGray(image.Rect(0, 0, 90, 120))
	for i := range img.Pix {
		img.Pix[i] = 250
	}
	for y := 10; y < 110; y++ {
		for x := 30; x < 60; x++ {
			img.Pix[y*90+x] = 20
		}
	}
	var pngB, jpgB bytes.Buffer
	if err := png.Encode(&pngB, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpgB, img, nil); err != nil {
		t.Fatal(err)
	}
	blank := image.NewGray(image.Rect(0, 0, 20, 20))
	var blankB bytes.Buffer
	if err := png.Encode(&blankB, blank); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"bar.png":    pngB.Bytes(),
		"bar.jpg":    jpgB.Bytes(),
		"page.png":   []byte("<!DOCTYPE html><html><body>Not Found</body></html>"),
		"empty.jpg":  nil,
		"cut.png":    pngB.Bytes()[:pngB.Len()/2],
		"blank.png":  blankB.Bytes(),
		"notes.txt":  []byte("a shopping list\n"),
		"photo.heic": append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 16)...),
	}
	paths := map[string]string{}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	paths["missing.png"] = filepath.Join(dir, "missing.png")
	return paths
}

func TestClassifyCommand(t *testing.T) {
	models := writeModels(t, nn.PhaseBaseline, nn.PhasePretrained)
	pics := writePictures(t)
	a, stdout, stderr := newTestApp()
	code := a.run(context.Background(), []string{"classify", "-models", models, "-preview", pics["bar.png"], pics["bar.jpg"]})
	if code != exitOK {
		t.Fatalf("exit status %d, want %d; stderr:\n%s", code, exitOK, stderr)
	}
	out := stdout.String()
	t.Logf("stdout:\n%s", out)
	for _, want := range []string{
		"models from " + models + ": baseline, pretrained\n",
		pics["bar.png"] + ": png 90x120, dark on light (inverted), garment 30x100 at (30,10)\n",
		pics["bar.jpg"] + ": jpeg 90x120",
		"  |          ", "@@@@", // the preview
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if strings.Contains(out, "dae") || strings.Contains(out, "finetune") {
		t.Error("stdout mentions a model the directory has no classifier for")
	}
	// One line per model and picture, with the top class, its
	// probability and the top three.
	lines := 0
	for _, l := range strings.Split(out, "\n") {
		if (strings.HasPrefix(l, "  baseline ") || strings.HasPrefix(l, "  pretrained ")) && strings.Contains(l, "%   top 3: ") && strings.Count(l, "%") == 4 {
			lines++
		}
	}
	if lines != 4 {
		t.Errorf("%d result lines, want 4 (2 models x 2 pictures)", lines)
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// A picture that cannot be read is reported by name with the reason, the
// others are still classified, and the exit status is 1.
func TestClassifyBadPictures(t *testing.T) {
	models := writeModels(t, nn.PhaseBaseline)
	pics := writePictures(t)
	wants := map[string]string{
		"page.png":    "not an image: it is an HTML page",
		"empty.jpg":   "not an image: the file is empty (0 bytes)",
		"cut.png":     "damaged image: png",
		"blank.png":   "nothing to classify: the picture is blank",
		"notes.txt":   `not an image: it is text (starts with "a shopping list")`,
		"photo.heic":  "HEIC/HEIF photo",
		"missing.png": "no such file",
	}
	args := []string{"classify", "-models", models, pics["bar.png"]}
	for name := range wants {
		args = append(args, pics[name])
	}
	a, stdout, stderr := newTestApp()
	if code := a.run(context.Background(), args); code != exitError {
		t.Errorf("exit status %d, want %d", code, exitError)
	}
	for name, want := range wants {
		if line := "warmstart classify: " + pics[name] + ": "; !strings.Contains(stderr.String(), line) ||
			!strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q ... %q", line, want)
		}
	}
	if !strings.Contains(stdout.String(), pics["bar.png"]+": png") {
		t.Errorf("the good picture was not classified:\n%s", stdout)
	}
	t.Logf("stderr:\n%s", stderr)
}

func TestClassifyModelErrors(t *testing.T) {
	pics := writePictures(t)
	empty := t.TempDir()
	damaged := writeModels(t, nn.PhaseBaseline)
	path := filepath.Join(damaged, "baseline.model")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-10] ^= 0xFF
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		models string
		want   []string
	}{
		{"no directory", filepath.Join(empty, "nope"), []string{"does not exist", "make experiment ARGS=-save-models"}},
		{"no models", empty, []string{"no classifier models (baseline.model, pretrained.model, finetune.model) in " + empty, "make experiment ARGS=-save-models"}},
		{"damaged model", damaged, []string{path, "checksum"}},
		{"a file", pics["bar.png"], []string{"is not a directory"}},
	} {
		a, stdout, stderr := newTestApp()
		if code := a.run(context.Background(), []string{"classify", "-models", tc.models, pics["bar.png"]}); code != exitError {
			t.Errorf("%s: exit status %d, want %d", tc.name, code, exitError)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.name, w, stderr)
			}
		}
		if stdout.Len() > 0 {
			t.Errorf("%s: stdout:\n%s", tc.name, stdout)
		}
	}
}

func TestClassifyUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"classify"}, exitUsage, "no image given"},
		{[]string{"classify", "-model", "x", "a.png"}, exitUsage, "flag provided but not defined: -model"},
		{[]string{"classify", "-h"}, exitOK, "Usage: warmstart classify"},
		{[]string{"help", "classify"}, exitOK, "-preview"},
	} {
		a, stdout, stderr := newTestApp()
		if code := a.run(context.Background(), tc.args); code != tc.code {
			t.Errorf("%q: exit status %d, want %d", tc.args, code, tc.code)
		}
		if !strings.Contains(stdout.String()+stderr.String(), tc.want) {
			t.Errorf("%q: output lacks %q:\n%s%s", tc.args, tc.want, stdout, stderr)
		}
	}
}
