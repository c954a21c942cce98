#!/usr/bin/python3
"""PyTorch (CPU) peer benchmark for warmstart.

Reproduces the two training workloads of /work/shared/SPEC.md ("Models",
"Training") and prints one JSON line per measurement to stdout:

  dae: noisy (256,1,28,28) input, clean target;
       Conv(16,3x3,s2,relu) -> Conv(8,3x3,s2,relu)            encoder, 1,320 params
       -> ConvT(8,3x3,s2,relu) -> ConvT(16,3x3,s2,relu)
       -> Conv(1,3x3,s1,sigmoid); pixel-wise MSE;              3,217 params
  cnn: the same encoder -> Flatten(392) -> Dense(100,relu) -> Dense(10),
       softmax cross-entropy on integer labels;                41,630 params
  both: Adam(lr 1e-3, betas (0.9, 0.999), eps 1e-7), batch 256,
        Glorot-uniform weights, zero biases.

One step = zero_grad, forward, loss, backward, optimizer.step and loss.item()
(the read-back mirrors TF.js's trainOnBatch; on CPU it costs nothing extra).
Inputs are synthetic uniform [0,1) pixels from a fixed seed (speed does not
depend on the values); the DAE input is clip(x + 0.2*N(0,1), 0, 1) as SPEC's
corruption. After --warmup untimed steps, --reps repetitions of --steps steps
are timed and the median throughput is reported.

Faithfulness notes:
  * Layout is NCHW, PyTorch's native layout (the TF.js peer uses NHWC).
  * TensorFlow "same" padding for the stride-2 convs (0 before, 1 after on
    28x28 / 14x14) is emulated with F.pad(x, (0,1,0,1)) and a padding=0
    stride-2 Conv2d: the geometry is exactly SPEC's, at the cost of one small
    padding copy per layer, which TF does internally too.
  * The stride-2 transposed convs use ConvTranspose2d(stride=2, padding=1,
    output_padding=1): 7->14 and 14->28 as SPEC (asserted), the same FLOPs,
    but the window is aligned one pixel differently from TF's "same" transpose
    (PyTorch crops 1 row/col at the start of the full 15/29-wide output, TF
    crops it at the end). That changes which pixels are computed, not how much
    work it is.
  * The stride-1 output conv uses padding=1, which equals TF "same" there.
  * PyTorch's Adam adds eps to sqrt(v_hat), TF to sqrt(v) (eps_hat form);
    irrelevant for speed.

Usage:
  /usr/bin/python3 bench/pytorch/bench.py --model dae|cnn|all --threads N \
      [--steps 20] [--warmup 5] [--reps 5] [--mkldnn on|off]
Use Debian's /usr/bin/python3 (apt-get install python3-torch); a pyenv
python3 on PATH may lack torch. Install OpenBLAS too (libopenblas0-openmp):
with Debian's default reference BLAS the numbers drop well below the
anchors (see bench/README.md); the JSON line reports the BLAS in use.
"""

import argparse
import json
import os
import statistics
import sys
import time


def _early_thread_env():
    """Pin OpenMP/OpenBLAS pools to --threads before torch is imported.

    torch.set_num_threads() below governs ATen's OpenMP pool (and an OpenMP
    OpenBLAS), but a pthreads OpenBLAS sizes its own pool from the
    environment at load time, so set it before `import torch`.
    """
    n = "1"
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            n = sys.argv[i + 1]
        elif a.startswith("--threads="):
            n = a.split("=", 1)[1]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = n


if __name__ == "__main__":
    _early_thread_env()

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

BATCH = 256
EXPECTED_PARAMS = {"dae": 3217, "cnn": 41630}


class SameConv(nn.Module):
    """3x3 conv with TensorFlow 'same' padding.

    Stride 2 on even sizes: pad 0 before and 1 after (F.pad(x, (0,1,0,1)))
    then a padding=0 conv; stride 1: symmetric padding 1 (identical to TF).
    """

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=0 if stride == 2 else 1)

    def forward(self, x):
        if self.stride == 2:
            x = F.pad(x, (0, 1, 0, 1))
        return self.conv(x)


def encoder():
    return nn.Sequential(
        SameConv(1, 16, 2), nn.ReLU(),   # 28x28x1 -> 14x14x16
        SameConv(16, 8, 2), nn.ReLU(),   # -> 7x7x8
    )


def build(model):
    if model == "dae":
        net = nn.Sequential(
            encoder(),
            # 7 -> 14 and 14 -> 28; see the module docstring on alignment.
            nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(8, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            SameConv(16, 1, 1), nn.Sigmoid(),
        )
        want = [(256, 16, 14, 14), (256, 8, 7, 7), (256, 8, 14, 14), (256, 16, 28, 28), (256, 1, 28, 28)]
    elif model == "cnn":
        net = nn.Sequential(
            encoder(),
            nn.Flatten(),                    # 8*7*7 = 392
            nn.Linear(392, 100), nn.ReLU(),
            nn.Linear(100, 10),              # logits; softmax is inside cross_entropy
        )
        want = [(256, 16, 14, 14), (256, 8, 7, 7), (256, 392), (256, 100), (256, 10)]
    else:
        raise ValueError(model)

    # Keras initialisation: Glorot-uniform kernels, zero biases.
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    n = sum(p.numel() for p in net.parameters())
    assert n == EXPECTED_PARAMS[model], f"{model}: {n} parameters, want {EXPECTED_PARAMS[model]}"

    # Shape check of every layer's output (SPEC: 28 -> 14 -> 7 -> 14 -> 28).
    got = []
    with torch.no_grad():
        h = torch.zeros(BATCH, 1, 28, 28)
        for layer in list(net[0]) + list(net[1:]):
            h = layer(h)
            if isinstance(layer, (SameConv, nn.ConvTranspose2d, nn.Flatten, nn.Linear)):
                got.append(tuple(h.shape))
    assert got == want, f"{model}: shapes {got}, want {want}"
    return net


def blas_library():
    """Which BLAS shared library the process loaded (Linux only).

    Debian's python3-torch is built against the generic libblas.so.3; with
    only libblas3 (netlib reference BLAS) installed, the Linear layers and
    ConvTranspose2d (slow_conv_transpose2d = im2col + gemm in 1.13) are 2-3x
    slower than with OpenBLAS (apt-get install libopenblas0-openmp).
    """
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    except OSError:
        return "unknown"
    real = sorted({os.path.realpath(p) for p in libs})
    return ",".join(os.path.basename(os.path.dirname(p)) + "/" + os.path.basename(p) for p in real) or "none"


def make_batch(model, seed=1):
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(BATCH, 1, 28, 28, generator=g)
    if model == "dae":
        noisy = (clean + 0.2 * torch.randn(clean.shape, generator=g)).clamp_(0, 1)
        return noisy, clean
    labels = torch.randint(0, 10, (BATCH,), generator=g)
    return clean, labels


def run(model, args):
    torch.manual_seed(42)
    net = build(model)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    x, y = make_batch(model)
    loss_fn = F.mse_loss if model == "dae" else F.cross_entropy

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    loss = float("nan")
    for _ in range(args.warmup):
        loss = step()
    rates, cpu_rates = [], []
    for _ in range(args.reps):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(args.steps):
            loss = step()
        t1, c1 = time.perf_counter(), time.process_time()
        rates.append(args.steps * BATCH / (t1 - t0))
        cpu_rates.append(args.steps * BATCH / max(c1 - c0, 1e-9))
    return {
        "impl": "pytorch",
        "model": model,
        "threads": args.threads,
        "batch": BATCH,
        "images_per_s": round(statistics.median(rates), 1),
        "reps_images_per_s": [round(r, 1) for r in rates],
        # Images per second of this process's CPU time (all its threads).
        # With --threads 1 on a busy machine it approximates the wall-clock
        # rate of a quiet one; with more threads it is not comparable.
        "images_per_cpu_s": round(statistics.median(cpu_rates), 1),
        "steps": args.steps,
        "warmup": args.warmup,
        "reps": args.reps,
        "params": EXPECTED_PARAMS[model],
        "final_loss": round(loss, 5),
        "torch": torch.__version__,
        "mkldnn": torch.backends.mkldnn.enabled,
        "torch_threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "blas": blas_library(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=["dae", "cnn", "all"], default="all")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=20, help="timed steps per repetition")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--reps", type=int, default=5, help="timed repetitions (median reported)")
    p.add_argument("--mkldnn", choices=["on", "off"], default="on",
                   help="torch.backends.mkldnn.enabled (oneDNN convolutions); default on, as PyTorch")
    args = p.parse_args()

    # Inter-op threads must be set before any parallel work starts.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    torch.backends.mkldnn.enabled = args.mkldnn == "on"

    models = ["dae", "cnn"] if args.model == "all" else [args.model]
    for m in models:
        print(json.dumps(run(m, args)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
