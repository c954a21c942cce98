#!/bin/sh
# Installs what the peer benchmarks need; idempotent, safe to re-run.
#   - PyTorch: Debian's python3-torch for /usr/bin/python3 (the python3 on
#     PATH may be a pyenv interpreter without torch), plus OpenBLAS: Debian's
#     torch links the generic libblas.so.3, and with only the reference BLAS
#     (libblas3) the Linear layers and ConvTranspose2d are 2-3x slower than
#     the anchors. libopenblas0-openmp shares torch's OpenMP runtime, so
#     torch.set_num_threads() also bounds the BLAS threads.
#   - Chromium, for the rows measured in headless Chromium.
#   - TensorFlow.js: `npm ci` in bench/tfjs (exact 4.22.0 versions from
#     package-lock.json, npm registry only) when node_modules is missing.
# Needs root (or sudo) for apt-get.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
apt_install() {
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "$@" ||
		{ $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "$@"; }
}

if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
	echo "install: /usr/bin/python3 already imports torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
else
	echo "install: apt-get install python3-torch"
	apt_install python3-torch
fi

if ls /usr/lib/x86_64-linux-gnu/openblas-*/libblas.so.3 /usr/lib/*/openblas-*/libblas.so.3 >/dev/null 2>&1; then
	echo "install: OpenBLAS present"
else
	echo "install: apt-get install libopenblas0-openmp (BLAS for Debian's torch)"
	apt_install libopenblas0-openmp
fi

if command -v chromium >/dev/null 2>&1; then
	echo "install: chromium present"
else
	echo "install: apt-get install chromium (browser rows of make bench)"
	apt_install chromium
fi

if [ -d "$here/tfjs/node_modules/@tensorflow/tfjs-backend-wasm" ]; then
	echo "install: bench/tfjs/node_modules present"
else
	echo "install: npm ci in bench/tfjs"
	(cd "$here/tfjs" && npm ci --no-audit --no-fund)
fi
