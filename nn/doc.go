// Package nn is warmstart's neural-net core: the models of SPEC.md built as
// gorgonia graphs from warmstart's own ops, a Keras-compatible Adam, and the
// four-phase experiment (baseline CNN, denoising autoencoder, pretrained CNN
// with the frozen encoder, fine-tuning).
//
// # Notation
//
// Every shape line in this package uses one legend:
//
//	N      batch size (images in a batch)
//	H, W   spatial height and width; OH, OW after a layer
//	C      channels (Cin, Cout for a layer's input and output)
//	K      classes, 10 for Fashion-MNIST
//	x      (N,28,28,1) clean input, pixels in [0,1]
//	xn     (N,28,28,1) noisy input, clip(x + σ·ε, 0, 1), ε ~ N(0,1)
//	z      (N,7,7,8)   code, the encoder's output
//	r      (N,28,28,1) reconstruction, the decoder's output
//	y, p   (N,K) one-hot labels and class probabilities
//	w      convolution kernels (3,3,Cin,Cout), HWIO as in Keras;
//	       transposed-convolution kernels (3,3,Cout,Cin), as Keras stores them;
//	       dense kernels (in,out)
//	b      biases (Cout) or (out)
//
// Activations are NHWC and every tensor is row-major, so flattening z to
// (N,392) is free and matches Keras's Flatten. Convolutions use
// TensorFlow's "same" padding: the output is ceil(input/stride) and an odd
// total padding puts the extra row and column after.
//
// # Design
//
// gorgonia supplies the graph, the symbolic differentiation and the solver
// interface; the arithmetic lives in warmstart's own ops (conv, transposed
// conv, dense, with fused bias and activation, and the two losses) whose
// kernels are in nn/internal/kernel. Each op owns its output buffer, so a
// training step reuses memory instead of allocating it. A model keeps its
// parameters as tensors shared by one graph per batch size, so the last
// partial batch of an epoch trains the same weights.
//
// All randomness (splits, initial weights, batch order, corruption noise)
// comes from math/rand/v2 generators derived from the run's seed, one
// stream per purpose; gorgonia's own initialisers read the clock and are
// never used.
//
// The package never prints or logs: progress goes to an [Observer].
//
// # References
//
//   - P. Vincent, H. Larochelle, Y. Bengio, P.-A. Manzagol. Extracting and
//     composing robust features with denoising autoencoders. ICML 2008.
//   - X. Glorot, Y. Bengio. Understanding the difficulty of training deep
//     feedforward neural networks. AISTATS 2010.
//   - D. P. Kingma, J. Ba. Adam: a method for stochastic optimization.
//     ICLR 2015 (with Keras's epsilon placement, see [Adam]).
package nn
