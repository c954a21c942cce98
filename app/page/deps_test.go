//go:build !(js && wasm)

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoTrainingCore checks that the page's wasm links neither the
// training core nor its heavy dependencies: they belong in the worker, and
// would more than triple the page's first download.
func TestNoTrainingCore(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command(gobin, "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	var found []string
	for _, d := range deps {
		switch {
		case d == "warmstart/nn", strings.HasPrefix(d, "warmstart/nn/internal"),
			strings.HasPrefix(d, "gorgonia.org/"), strings.HasPrefix(d, "gonum.org/"):
			found = append(found, d)
		}
	}
	if len(found) > 0 {
		t.Errorf("the page links the training core: %v", found)
	}
	for _, want := range []string{"warmstart/app", "warmstart/nn/spec", "warmstart/wasm/protocol"} {
		if !strings.Contains(" "+strings.Join(deps, " ")+" ", " "+want+" ") {
			t.Errorf("the page does not link %s; is the list right?", want)
		}
	}
}
