// Package kernel provides fast, deterministic direct 3x3 convolution kernels
// for small convolutional networks trained on the CPU, natively or as
// WebAssembly.
//
// # Notation
//
//   - N is the batch size (number of images).
//   - H and W are the input height and width; OH and OW the output height and
//     width.
//   - Cin and Cout are the numbers of input and output channels.
//   - Activations are stored NHWC: element (n, h, w, c) of an array of shape
//     (N, H, W, C) is at flat index ((n*H+h)*W+w)*C + c.
//   - Convolution kernels are stored HWIO: element (kh, kw, ci, co) of the
//     (3, 3, Cin, Cout) kernel is at flat index ((kh*3+kw)*Cin+ci)*Cout + co.
//   - A bias has shape (Cout).
//
// # SAME padding
//
// Padding follows TensorFlow's "SAME" rule. With stride s,
//
//	OH = ceil(H/s)
//	padTotalH = max((OH-1)*s + 3 - H, 0)
//	padTop = padTotalH / 2 (rounded down); the remaining row goes to the bottom
//
// and likewise for the width (padLeft, with the remainder on the right). For
// stride 1 this pads one row and column on each side; for stride 2 on an even
// size it pads nothing before and one row or column after.
//
// Output element (n, oh, ow, co) is
//
//	sum over kh, kw, ci of x[n, oh*s+kh-padTop, ow*s+kw-padLeft, ci] * w[kh, kw, ci, co]
//
// where input elements outside the image count as zero.
//
// # Determinism
//
// Work is split into a fixed number of partitions of the batch that depends
// only on N, never on GOMAXPROCS. Each partition writes its own outputs or its
// own partial sums, and partial sums are combined in a fixed order, so every
// result is bit-identical whatever the number of threads. With GOMAXPROCS 1
// (as under GOOS=js GOARCH=wasm) the partitions run inline, one after another;
// otherwise they run on the calling goroutine and a pool of GOMAXPROCS-1
// worker goroutines that are started on first use and live for the rest of
// the process (see pool.go).
//
// # Vector kernels
//
// Built with GOEXPERIMENT=simd on amd64, and on a CPU with AVX2 and FMA,
// float32 convolutions whose channel counts fit eight-lane vectors (Cout a
// multiple of 8, or Cout 1 with Cin a multiple of 8; see vecPlan) and the
// elementwise helpers use simd/archsimd kernels; every other case, float64,
// and other builds (WebAssembly included) use the portable scalar kernels.
// The vector kernels sum in a different order and with fused
// multiply-adds, so their results may differ from the scalar ones in the
// last bits; within one build and CPU they are still bit-identical for any
// GOMAXPROCS.
//
// # Transposed convolution
//
// A stride-2 SAME transposed convolution (Keras Conv2DTranspose) is the
// adjoint of the matching stride-2 convolution: its forward pass is
// [Conv.BackInput], its input gradient is [Conv.Forward] without bias or
// activation, and its kernel gradient is [Conv.BackFilter] with the roles of
// x and dy swapped.
package kernel
