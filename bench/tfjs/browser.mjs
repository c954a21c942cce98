// Browser entry of the TensorFlow.js peer benchmark (see browser.html).
// Uses the global `tf` set up by the UMD bundles of tfjs-core, tfjs-layers and
// tfjs-backend-wasm 4.22.0 loaded from ./node_modules, registers the missing
// wasm Conv2DBackpropFilter kernel (lib.mjs) and runs the same measurement as
// bench.mjs, reporting JSON lines through console.log, window.__benchResults,
// the page's <pre id="out"> and document.title.
import { registerWasmConvFilterGrad, runBench } from './lib.mjs';

const out = document.getElementById('out');
window.__benchResults = [];
window.__benchDone = false;

function report(rec) {
  const line = JSON.stringify(rec);
  console.log(line);
  window.__benchResults.push(rec);
  out.textContent += line + '\n';
}

async function main() {
  const tf = globalThis.tf;
  if (!tf || !tf.layers || !tf.wasm) throw new Error('tfjs UMD bundles did not load (tf, tf.layers, tf.wasm)');
  const q = new URLSearchParams(location.search);
  const int = (k, d) => (q.has(k) ? parseInt(q.get(k), 10) : d);
  const model = q.get('model') || 'all';
  const threads = int('threads', 1);
  const steps = int('steps', 10), warmup = int('warmup', 3), reps = int('reps', 5);

  const registered = registerWasmConvFilterGrad(tf);
  tf.wasm.setWasmPaths(new URL('node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href);
  tf.wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  await tf.ready();
  const extra = {
    user_agent: navigator.userAgent,
    cross_origin_isolated: globalThis.crossOriginIsolated === true,
    wasm_simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    wasm_multithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    wasm_threads_actual: tf.wasm.getThreadsCount(),
    registered_kernels: registered ? ['Conv2DBackpropFilter'] : [],
  };
  const models = model === 'all' ? ['dae', 'cnn'] : [model];
  for (const m of models) {
    report(await runBench(tf, { impl: 'tfjs-browser', backend: 'wasm', model: m, threads,
      steps, warmup, reps, extra }));
  }
}

main().then(() => {
  window.__benchDone = true;
  document.title = 'bench:done';
}).catch((e) => {
  const msg = String(e && e.message ? e.message : e);
  console.error(e);
  out.textContent += 'ERROR ' + msg + '\n';
  window.__benchError = msg;
  window.__benchDone = true;
  document.title = 'bench:error: ' + msg;
});
