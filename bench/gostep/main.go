// Command gostep measures warmstart's training step, the workload that
// bench/ compares with PyTorch and TensorFlow.js: batch 256 of the DAE or
// the classifier of SPEC.md, Adam, steady state after a warm-up. It runs
// natively and as WebAssembly (in Node or a browser page) and prints one
// JSON line per repetition, in the same format as the peers:
//
//	{"impl":"warmstart-native","model":"dae","threads":1,"batch":256,"images_per_s":...}
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"warmstart/nn"
)

type result struct {
	Impl string `json:"impl"`
	nn.StepStats
	Warmup int `json:"warmup"`
	Rep    int `json:"rep"`
}

func main() {
	model := flag.String("model", "dae,cnn", "comma list of models: dae, cnn")
	threads := flag.Int("threads", 0, "GOMAXPROCS (0: all cores; always 1 in WebAssembly)")
	batch := flag.Int("batch", 256, "batch size")
	steps := flag.Int("steps", 20, "timed steps per repetition")
	warmup := flag.Int("warmup", 3, "untimed steps before timing")
	reps := flag.Int("reps", 3, "repetitions")
	impl := flag.String("impl", "", "name to report (default warmstart-native or warmstart-wasm)")
	flag.Parse()

	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	if *impl == "" {
		*impl = "warmstart-native"
		if runtime.GOARCH == "wasm" {
			*impl = "warmstart-wasm"
		}
	}
	enc := json.NewEncoder(os.Stdout)
	for _, m := range strings.Split(*model, ",") {
		arch := nn.Arch(strings.TrimSpace(m))
		for r := 1; r <= *reps; r++ {
			s, err := nn.MeasureSteps(arch, *batch, *warmup, *steps)
			if err != nil {
				fmt.Fprintln(os.Stderr, "gostep:", err)
				os.Exit(1)
			}
			enc.Encode(result{Impl: *impl, StepStats: s, Warmup: *warmup, Rep: r})
		}
	}
}
