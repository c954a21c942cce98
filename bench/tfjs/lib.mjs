// Shared core of the TensorFlow.js peer benchmark (used by bench.mjs in Node
// and by browser.mjs in a page). It takes the `tf` namespace as an argument so
// the same code runs against the CommonJS packages in Node and against the UMD
// bundles (global `tf`) in a browser.
//
// What it reproduces (see /work/shared/SPEC.md, "Models" and "Training"):
//   - DAE training step: noisy (256,28,28,1) input, clean target,
//     Conv(16,3x3,s2,same,relu) -> Conv(8,3x3,s2,same,relu)
//     -> ConvTranspose(8,3x3,s2,same,relu) -> ConvTranspose(16,3x3,s2,same,relu)
//     -> Conv(1,3x3,s1,same,sigmoid); pixel-wise MSE; 3,217 parameters.
//   - Classifier ("cnn") training step: the same encoder -> Flatten(392)
//     -> Dense(100,relu) -> Dense(10,softmax); categorical cross-entropy on
//     one-hot labels; 41,630 parameters.
//   - Adam(lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7), batch 256,
//     Glorot-uniform kernels, zero biases (tf.layers defaults = Keras defaults).
// Layout is NHWC (TF.js native); padding is TensorFlow "same", i.e. exactly
// SPEC's padding (stride 2 on even sizes: 0 before, 1 after).
//
// One "step" is model.trainOnBatch(x, y): forward, backward, Adam update and
// the read-back of the loss value (trainOnBatch awaits the loss), which is also
// what synchronises the timing. Inputs are synthetic: uniform [0,1) pixels
// from a fixed-seed PRNG (speed does not depend on the pixel values); the DAE
// input is clip(x + 0.2*N(0,1), 0, 1) as SPEC's corruption.

export const BATCH = 256;
export const EXPECTED_PARAMS = { dae: 3217, cnn: 41630 };

// ---------------------------------------------------------------------------
// Missing wasm kernel: Conv2DBackpropFilter.
//
// @tensorflow/tfjs-backend-wasm 4.22.0 registers Conv2D, FusedConv2D and
// Conv2DBackpropInput, but no Conv2DBackpropFilter, so the gradient of every
// convolution filter (Conv2D via FusedConv2D's gradient, and Conv2DTranspose,
// whose forward op is Conv2DBackpropInput and whose filter gradient is again
// Conv2DBackpropFilter) fails with "kernel not registered". We register one
// for the 'wasm' backend, built only from that backend's own kernels
// (Transpose and the XNNPACK-backed Conv2D):
//
//   dW[i,j,c,k] = sum_{n,oh,ow} x[n, oh*s + i - top, ow*s + j - left, c] * dy[n,oh,ow,k]
//
// is a convolution in which the batch n plays the role of the input channel
// and dy plays the role of the filter, dilated by the forward stride s:
//
//   xT  = Transpose(x,  [3,1,2,0])      (C, H, W, N)     "batch" C, channels N
//   dyT = Transpose(dy, [1,2,0,3])      (Ho, Wo, N, K)   filter, in N, out K
//   g   = Conv2D(xT, dyT, strides 1, dilations s,
//                explicit pad [top, bottom'] x [left, right'])   (C, FH, FW, K)
//   dW  = Transpose(g, [1,2,0,3])       (FH, FW, C, K)
//
// with top/left the forward "same" padding and bottom'/right' chosen so that
// the output is exactly FH x FW. (An im2col formulation through the backend's
// StridedSlice/Concat/BatchMatMul kernels was 5-20x slower: those kernels are
// plain loops, while Conv2D runs in XNNPACK.) Conv2DBackpropInput (the input
// gradient, and the forward pass of Conv2DTranspose) is the wasm backend's own
// kernel and is not replaced. `node bench.mjs --check` compares this kernel
// with the cpu backend's reference implementation.
// ---------------------------------------------------------------------------
export function registerWasmConvFilterGrad(tf) {
  const name = 'Conv2DBackpropFilter';
  if (tf.getKernel(name, 'wasm') != null) return false;  // a later tfjs has it
  const need = ['Transpose', 'Conv2D'];
  for (const k of need) {
    if (tf.getKernel(k, 'wasm') == null) throw new Error(`wasm backend lacks ${k}`);
  }
  const transpose = tf.getKernel('Transpose', 'wasm').kernelFunc;
  const conv2d = tf.getKernel('Conv2D', 'wasm').kernelFunc;

  function conv2DBackpropFilter({ inputs, backend, attrs }) {
    const { x, dy } = inputs;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
    if (dataFormat != null && dataFormat !== 'NHWC') {
      throw new Error(`Conv2DBackpropFilter(wasm, bench): only NHWC, got ${dataFormat}`);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape, filterShape, strides, 1 /* dilations */, pad, dimRoundingMode,
      false /* depthwise */, 'channelsLast');
    const { inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo,
      filterHeight: FH, filterWidth: FW, strideHeight: sh, strideWidth: sw, padInfo } = info;
    const top = padInfo.top, left = padInfo.left;
    // Output rows of the dilated conv: H + top + bottom' - (Ho-1)*sh == FH.
    // bottom' may be negative when the forward conv ignored trailing rows
    // ('valid' with a remainder); XNNPACK takes no negative padding, so that
    // case (unused by SPEC's models) is rejected.
    const bottom = (Ho - 1) * sh + FH - H - top;
    const right = (Wo - 1) * sw + FW - W - left;
    if (bottom < 0 || right < 0) throw new Error('Conv2DBackpropFilter(wasm, bench): unsupported geometry');
    const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
    const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
    const g = conv2d({ inputs: { x: xT, filter: dyT }, backend, attrs: {
      strides: [1, 1], dilations: [sh, sw], dataFormat: 'NHWC', dimRoundingMode: undefined,
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    } });
    const out = transpose({ inputs: { x: g }, backend, attrs: { perm: [1, 2, 0, 3] } });
    for (const t of [xT, dyT, g]) backend.disposeData(t.dataId);
    return out;
  }

  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: conv2DBackpropFilter });
  return true;
}

// ---------------------------------------------------------------------------
// Models.
// ---------------------------------------------------------------------------
function encoderLayers(tf) {
  return [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, strides: 2,
      padding: 'same', activation: 'relu', name: 'enc_conv1' }),
    tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same',
      activation: 'relu', name: 'enc_conv2' }),
  ];
}

export function buildModel(tf, which) {
  const m = tf.sequential();
  for (const l of encoderLayers(tf)) m.add(l);
  if (which === 'dae') {
    m.add(tf.layers.conv2dTranspose({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'dec_deconv1' }));
    m.add(tf.layers.conv2dTranspose({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'dec_deconv2' }));
    m.add(tf.layers.conv2d({ filters: 1, kernelSize: 3, strides: 1, padding: 'same', activation: 'sigmoid', name: 'dec_out' }));
  } else if (which === 'cnn') {
    m.add(tf.layers.flatten({ name: 'flatten' }));
    m.add(tf.layers.dense({ units: 100, activation: 'relu', name: 'dense1' }));
    m.add(tf.layers.dense({ units: 10, activation: 'softmax', name: 'dense2' }));
  } else {
    throw new Error(`unknown model ${which} (want dae or cnn)`);
  }
  // Shape checks (SPEC: 28 -> 14 -> 7 -> 14 -> 28).
  const shapes = m.layers.map((l) => JSON.stringify(l.outputShape));
  const want = which === 'dae'
    ? ['[null,14,14,16]', '[null,7,7,8]', '[null,14,14,8]', '[null,28,28,16]', '[null,28,28,1]']
    : ['[null,14,14,16]', '[null,7,7,8]', '[null,392]', '[null,100]', '[null,10]'];
  if (shapes.join() !== want.join()) throw new Error(`shapes ${shapes} != ${want}`);
  const n = m.countParams();
  if (n !== EXPECTED_PARAMS[which]) throw new Error(`${which}: ${n} parameters, want ${EXPECTED_PARAMS[which]}`);
  m.compile({
    optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7),
    loss: which === 'dae' ? 'meanSquaredError' : 'categoricalCrossentropy',
  });
  return m;
}

// Deterministic PRNG (mulberry32) and Box-Muller normals for the synthetic batch.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeBatch(tf, which, seed = 1) {
  const r = rng(seed);
  const n = BATCH * 28 * 28;
  const clean = new Float32Array(n);
  for (let i = 0; i < n; i++) clean[i] = r();
  if (which === 'dae') {
    const noisy = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      noisy[i] = Math.min(1, Math.max(0, clean[i] + 0.2 * z));
    }
    return { x: tf.tensor4d(noisy, [BATCH, 28, 28, 1]), y: tf.tensor4d(clean, [BATCH, 28, 28, 1]) };
  }
  const onehot = new Float32Array(BATCH * 10);
  for (let b = 0; b < BATCH; b++) onehot[b * 10 + Math.floor(r() * 10)] = 1;
  return { x: tf.tensor4d(clean, [BATCH, 28, 28, 1]), y: tf.tensor2d(onehot, [BATCH, 10]) };
}

const now = () => (globalThis.performance ? performance.now() : Date.now());

// Runs warm-up steps, then `reps` timed repetitions of `steps` steps each;
// returns the JSON record with the median throughput (and all repetitions).
// `cpuSeconds` (optional) returns the process's CPU time in seconds; when
// given, images per CPU-second are reported too (Node only).
export async function runBench(tf, { impl, backend, model: which, threads, steps, warmup, reps, extra = {}, cpuSeconds = null }) {
  tf.setRandomSeed?.(42);
  const m = buildModel(tf, which);
  const { x, y } = makeBatch(tf, which, 1);
  let loss = NaN;
  for (let i = 0; i < warmup; i++) loss = await m.trainOnBatch(x, y);
  const rates = [], cpuRates = [];
  for (let r = 0; r < reps; r++) {
    const c0 = cpuSeconds?.(), t0 = now();
    for (let i = 0; i < steps; i++) loss = await m.trainOnBatch(x, y);
    const dt = (now() - t0) / 1000;
    rates.push((steps * BATCH) / dt);
    if (cpuSeconds) cpuRates.push((steps * BATCH) / Math.max(cpuSeconds() - c0, 1e-9));
  }
  const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) >> 1] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
  };
  const numTensors = tf.memory().numTensors;
  x.dispose(); y.dispose(); m.optimizer.dispose(); m.dispose();
  return {
    impl, backend, model: which, threads, batch: BATCH,
    images_per_s: Math.round(median(rates) * 10) / 10,
    reps_images_per_s: rates.map((v) => Math.round(v * 10) / 10),
    ...(cpuSeconds ? { images_per_cpu_s: Math.round(median(cpuRates) * 10) / 10 } : {}),
    steps, warmup, reps, params: EXPECTED_PARAMS[which],
    final_loss: Number(loss.toFixed ? loss.toFixed(5) : loss),
    tensors_live: numTensors,
    tfjs: tf.version_core ?? tf.version?.['tfjs-core'],
    ...extra,
  };
}
