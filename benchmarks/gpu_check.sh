#!/usr/bin/env bash
# The whole GPU check for a lent machine, as one command (the device tool's `run`), from the
# repository root:
#
#     bash benchmarks/gpu_check.sh
#
# 1. what is installed (gradiente info: GPU, CUDA, CuPy, cuDNN frontend);
# 2. the GPU suite, `pytest -m cuda` (tests/gpu: layers, losses, optimizers, a LeNet-5
#    training on CUDA against the CPU);
# 3. benchmarks/gpu_check.py (every op of the op list on CUDA against the CPU);
# 4. benchmarks/bench_gpu.py (training steps beside torch on the same GPU);
# 5. one epoch of `gradiente train --model lenet5 --dataset mnist --device cuda`, when the MNIST
#    files are in shared/data/mnist inside the checkout (../shared does not travel).
#
# Logs go to $OUT (the device tool's folder that comes back) or /tmp/gradiente-gpu. Wheels
# the bare machine lacks (ml_dtypes, safetensors, threadpoolctl, ...) can be carried in
# .device-wheels/ and are installed offline first. Exit status 1 if any step failed.
set -u -o pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 OMP_WAIT_POLICY=PASSIVE
out="${OUT:-/tmp/gradiente-gpu}"
mkdir -p "$out"
status=0

if [ -d .device-wheels ]; then
    python -m pip install -q --no-index --find-links .device-wheels .device-wheels/*.whl
fi
python - <<'EOF' 2>&1 | tee "$out/imports.txt"
import importlib
for name in ("numpy", "cupy", "torch", "ml_dtypes", "safetensors", "threadpoolctl", "tqdm",
             "matplotlib", "PIL", "pytest", "hypothesis", "cudnn"):
    try:
        module = importlib.import_module(name)
        print(f"{name:<14} {getattr(module, '__version__', 'installed')}")
    except Exception as err:  # a missing wheel: carry it in .device-wheels/
        print(f"{name:<14} MISSING ({type(err).__name__}: {err})")
EOF

python -m gradiente info 2>&1 | tee "$out/info.txt" || status=1
python -m pytest -m cuda tests/gpu -q -p no:cacheprovider 2>&1 | tee "$out/gpu_suite.txt" || status=1
python benchmarks/gpu_check.py 2>&1 | tee "$out/gpu_check.txt" || status=1
python benchmarks/bench_gpu.py --pairs 3 2>&1 | tee "$out/bench_gpu.txt" || status=1
if [ -d shared/data/mnist ]; then
    python -m gradiente train --model lenet5 --dataset mnist --data-dir shared/data/mnist \
        --device cuda --epochs 1 --out "$out/run-mnist" 2>&1 | tee "$out/train_mnist.txt" \
        || status=1
fi
exit $status
