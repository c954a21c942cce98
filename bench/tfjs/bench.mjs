#!/usr/bin/env node
// TensorFlow.js 4.22.0 peer benchmark for warmstart, Node entry point.
//
// Reproduces SPEC's two training workloads (DAE step and classifier step,
// batch 256, Adam lr 1e-3 / eps 1e-7; see lib.mjs for the exact mapping) on
// the TF.js WebAssembly backend (XNNPACK, SIMD when available) or, for
// reference, the plain JavaScript 'cpu' backend, and prints one JSON line per
// measurement to stdout. Diagnostics go to stderr.
//
// Usage:
//   node bench.mjs [--backend wasm|cpu] [--model dae|cnn|all] [--threads 1]
//                  [--steps N] [--warmup N] [--reps N] [--check]
// Defaults: wasm, all, 1 thread, steps 10 / warmup 3 / reps 5 on wasm,
// steps 1 / warmup 1 / reps 1 on cpu (it is ~50-100x slower: one DAE step
// takes about a minute).
//
// Threads: in Node the wasm backend never uses its multi-threaded build
// (tfjs-backend-wasm disables WASM_HAS_MULTITHREAD_SUPPORT under Node), so it
// is single-threaded whatever --threads says; we still call
// setThreadsCount(N) and report getThreadsCount(). In a browser the threaded
// build needs cross-origin isolation and uses at most half the logical cores.
//
// The wasm backend lacks Conv2DBackpropFilter; lib.mjs registers one built
// from the backend's own Transpose and (XNNPACK) Conv2D kernels.
// --check verifies it against the cpu backend's reference kernel.

import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { registerWasmConvFilterGrad, runBench } from './lib.mjs';

const require = createRequire(import.meta.url);
// The CommonJS builds, so that layers and both backends share one tfjs-core.
const tfc = require('@tensorflow/tfjs-core');
const tfl = require('@tensorflow/tfjs-layers');
const wasm = require('@tensorflow/tfjs-backend-wasm');
require('@tensorflow/tfjs-backend-cpu');
const tf = { ...tfc, layers: tfl.layers, sequential: tfl.sequential, version_core: tfc.version_core };

function parseArgs(argv) {
  const o = { backend: 'wasm', model: 'all', threads: 1, steps: null, warmup: null, reps: null, check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    switch (a) {
      case '--backend': o.backend = val(); break;
      case '--model': o.model = val(); break;
      case '--threads': o.threads = parseInt(val(), 10); break;
      case '--steps': o.steps = parseInt(val(), 10); break;
      case '--warmup': o.warmup = parseInt(val(), 10); break;
      case '--reps': o.reps = parseInt(val(), 10); break;
      case '--check': o.check = true; break;
      case '-h': case '--help':
        console.error('node bench.mjs [--backend wasm|cpu] [--model dae|cnn|all] [--threads N] [--steps N] [--warmup N] [--reps N] [--check]');
        process.exit(0);
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!['wasm', 'cpu'].includes(o.backend)) throw new Error('--backend must be wasm or cpu');
  const slow = o.backend === 'cpu';
  o.steps ??= slow ? 1 : 10;
  o.warmup ??= slow ? 1 : 3;
  o.reps ??= slow ? 1 : 5;
  return o;
}

// Compares the registered wasm Conv2DBackpropFilter with the cpu backend's on
// the shapes the two models produce (both stride-2 convs, the stride-1 conv,
// and the two transposed convs' filter gradients).
async function checkFilterGrad() {
  const cases = [
    // [x shape, dy channels, strides]: enc_conv1, enc_conv2, dec_deconv1,
    // dec_deconv2 (x is the gradient at the output, dy the layer's input),
    // dec_out (stride 1).
    [[4, 28, 28, 1], 16, 2], [[4, 14, 14, 16], 8, 2], [[4, 14, 14, 8], 8, 2],
    [[4, 28, 28, 16], 8, 2], [[4, 28, 28, 16], 1, 1],
  ];
  let worst = 0;
  await tfc.setBackend('cpu');
  for (const [xs, k, s] of cases) {
    const fs = [3, 3, xs[3], k];
    const ho = Math.ceil(xs[1] / s), wo = Math.ceil(xs[2] / s);
    await tfc.setBackend('cpu');
    const xv = tfc.tidy(() => tfc.randomUniform(xs, -1, 1, 'float32', 7).dataSync());
    const dyv = tfc.tidy(() => tfc.randomUniform([xs[0], ho, wo, k], -1, 1, 'float32', 8).dataSync());
    const run = async (b) => {
      await tfc.setBackend(b);
      const x = tfc.tensor4d(xv, xs), dy = tfc.tensor4d(dyv, [xs[0], ho, wo, k]);
      // conv2DBackpropFilter is not a public op; call the kernel directly.
      const g = tfc.engine().runKernel('Conv2DBackpropFilter', { x, dy },
        { strides: [s, s], pad: 'same', dataFormat: 'NHWC', filterShape: fs });
      const out = g.dataSync().slice();
      tfc.dispose([x, dy, g]);
      return out;
    };
    const ref = await run('cpu');
    const got = await run('wasm');
    let err = 0, mag = 0;
    for (let i = 0; i < ref.length; i++) { err = Math.max(err, Math.abs(ref[i] - got[i])); mag = Math.max(mag, Math.abs(ref[i])); }
    worst = Math.max(worst, err / mag);
    console.error(`check Conv2DBackpropFilter x=${xs} k=${k} s=${s}: max|diff|=${err.toExponential(2)} (max|ref|=${mag.toFixed(2)})`);
  }
  if (worst > 1e-4) throw new Error(`Conv2DBackpropFilter mismatch: relative ${worst}`);
  console.error('check OK');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const registered = registerWasmConvFilterGrad(tf);
  if (o.backend === 'wasm') wasm.setThreadsCount(o.threads);
  if (o.check) await checkFilterGrad();
  if (!(await tfc.setBackend(o.backend))) throw new Error(`backend ${o.backend} failed to initialise`);
  await tfc.ready();
  let extra = { node: process.version };
  if (o.backend === 'wasm') {
    extra = {
      ...extra,
      wasm_simd: await tfc.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      wasm_multithread: await tfc.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      wasm_threads_actual: wasm.getThreadsCount(),
      registered_kernels: registered ? ['Conv2DBackpropFilter'] : [],
    };
  }
  const models = o.model === 'all' ? ['dae', 'cnn'] : [o.model];
  for (const model of models) {
    const rec = await runBench(tf, { impl: 'tfjs', backend: o.backend, model, threads: o.threads,
      steps: o.steps, warmup: o.warmup, reps: o.reps, extra,
      cpuSeconds: () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; } });
    rec.loadavg_1m = Math.round(loadavg()[0] * 100) / 100;
    console.log(JSON.stringify(rec));
  }
}

main().catch((e) => { console.error(e?.stack ?? e); process.exit(1); });
