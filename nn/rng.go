package nn

import (
	"hash/fnv"
	"math/rand/v2"
)

// The purposes of the run's random streams. Each gets its own generator so
// that changing one setting (say the DAE's epochs) leaves the others'
// draws untouched.
const (
	streamSplits         = "splits"
	streamInitHead       = "init/head"             // dense head, shared by both classifiers
	streamInitEncoder    = "init/baseline-encoder" // the baseline's own encoder
	streamInitDAE        = "init/dae"
	streamOrderCNN       = "order/classifier" // same batch order for baseline and pretrained
	streamOrderFT        = "order/finetune"
	streamOrderDAE       = "order/dae"
	streamNoiseTrain     = "noise/train"
	streamNoiseVal       = "noise/val"        // fixed validation corruption
	streamNoiseTrainEval = "noise/train-eval" // fixed corruption for the final train MSE
)

// Stream returns the generator for one purpose of a run with the given
// seed: a PCG seeded with the run's seed and a hash of the purpose.
func Stream(seed uint64, purpose string) *rand.Rand {
	return rand.New(streamPCG(seed, purpose))
}

// streamPCG is Stream's generator, kept where its state is saved.
func streamPCG(seed uint64, purpose string) *rand.PCG {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return rand.NewPCG(seed, h.Sum64())
}
