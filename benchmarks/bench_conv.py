"""Convolution and pooling, gradiente vs PyTorch (CPU), side by side.

Each framework runs in its own process (this script re-invokes itself with ``--framework``),
the order alternating from pair to pair; every case reports the median of per-pair time
ratios gradiente/torch. Both processes get the same thread count, torch with
OMP_WAIT_POLICY=PASSIVE so its idle OpenMP threads do not spin on our cores.

Cases: conv2d forward+backward at three shapes, max_pool2d 2x2 forward+backward, and two
whole training steps (forward, cross-entropy, backward, SGD update) built from the same
functional calls in both frameworks: LeNet-5 on 1x28x28 and a small VGG-style net on 3x32x32.

    python benchmarks/bench_conv.py                  # 5 pairs, all cases, all CPUs
    python benchmarks/bench_conv.py --threads 1      # both frameworks single-threaded
    python benchmarks/bench_conv.py --pairs 7 --cases lenet vgg
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BATCH = 64
CASES = ["conv_lenet", "conv_32", "conv_64", "maxpool", "lenet", "vgg"]
TITLES = {
    "conv_lenet": "conv2d 64x1x28x28 -> 6, k5            fwd+bwd",
    "conv_32": "conv2d 64x32x32x32 -> 32, k3 p1       fwd+bwd",
    "conv_64": "conv2d 64x64x16x16 -> 64, k3 p1       fwd+bwd",
    "maxpool": "max_pool2d 64x32x32x32, 2x2           fwd+bwd",
    "lenet": "LeNet-5 training step (64x1x28x28)",
    "vgg": "VGG-style training step (64x3x32x32)",
}


# ------------------------------------------------------------------------------ worker side
def _framework(name: str):
    """(tensor module, functional namespace) for 'torch' or 'gradiente'."""
    if name == "torch":
        import torch
        import torch.nn.functional as F

        return torch, F
    import gradiente
    import gradiente.nn.functional as F

    return gradiente, F


def _param(T, rng, *shape, fan_in):
    bound = 1.0 / fan_in**0.5
    a = rng.uniform(-bound, bound, size=shape).astype("float32")
    return T.from_numpy(a).requires_grad_()


def _conv_case(T, F, rng, N, C, H, O, k, p):
    x = T.from_numpy(rng.standard_normal((N, C, H, H)).astype("float32")).requires_grad_()
    w = _param(T, rng, O, C, k, k, fan_in=C * k * k)
    b = _param(T, rng, O, fan_in=C * k * k)
    OH = H + 2 * p - k + 1
    g = T.from_numpy(rng.standard_normal((N, O, OH, OH)).astype("float32"))

    def step():
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, padding=p).backward(g)

    return step


def _maxpool_case(T, F, rng):
    x = T.from_numpy(rng.standard_normal((BATCH, 32, 32, 32)).astype("float32"))
    x.requires_grad_()
    g = T.from_numpy(rng.standard_normal((BATCH, 32, 16, 16)).astype("float32"))

    def step():
        x.grad = None
        F.max_pool2d(x, 2).backward(g)

    return step


def _net_case(T, F, rng, net):
    """A training step of a small CNN written with functional calls, identical in both."""
    if net == "lenet":
        x_shape = (BATCH, 1, 28, 28)
        convs = [(1, 6, 5, 2), (6, 16, 5, 0)]  # (in, out, kernel, padding), each + relu + pool
        dense = [(16 * 5 * 5, 120), (120, 84), (84, 10)]
    else:
        x_shape = (BATCH, 3, 32, 32)
        # conv 3→32→32, pool, 32→64→64, pool, linear (relu after each conv)
        convs = [(3, 32, 3, 1), (32, 32, 3, 1), "pool", (32, 64, 3, 1), (64, 64, 3, 1), "pool"]
        dense = [(64 * 8 * 8, 10)]
    params = []
    layers = []
    for spec in convs:
        if spec == "pool":
            layers.append("pool")
            continue
        cin, cout, k, p = spec
        fan = cin * k * k
        w, b = _param(T, rng, cout, cin, k, k, fan_in=fan), _param(T, rng, cout, fan_in=fan)
        params += [w, b]
        layers.append((w, b, p))
        if net == "lenet":
            layers.append("pool")
    fcs = []
    for fin, fout in dense:
        w, b = _param(T, rng, fout, fin, fan_in=fin), _param(T, rng, fout, fan_in=fin)
        params += [w, b]
        fcs.append((w, b))
    x = T.from_numpy(rng.standard_normal(x_shape).astype("float32"))
    y = T.from_numpy(rng.integers(0, 10, size=(BATCH, 1)).astype("int64"))

    def step():
        h = x
        for layer in layers:
            if layer == "pool":
                h = F.max_pool2d(h, 2)
            else:
                w, b, p = layer
                h = F.conv2d(h, w, b, padding=p).relu()
        h = h.reshape(BATCH, -1)
        for i, (w, b) in enumerate(fcs):
            h = h @ w.T + b
            if i < len(fcs) - 1:
                h = h.relu()
        loss = -h.log_softmax(1).gather(1, y).mean()
        loss.backward()
        with T.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None

    return step


def _make(case, T, F, rng):
    if case == "conv_lenet":
        return _conv_case(T, F, rng, BATCH, 1, 28, 6, 5, 0)
    if case == "conv_32":
        return _conv_case(T, F, rng, BATCH, 32, 32, 32, 3, 1)
    if case == "conv_64":
        return _conv_case(T, F, rng, BATCH, 64, 16, 64, 3, 1)
    if case == "maxpool":
        return _maxpool_case(T, F, rng)
    return _net_case(T, F, rng, case)


def worker(framework: str, cases, repeats: int, threads: int) -> None:
    import numpy as np

    T, F = _framework(framework)
    if framework == "torch":
        T.set_num_threads(threads)
    rng = np.random.default_rng(0)
    result = {}
    for case in cases:
        step = _make(case, T, F, rng)
        for _ in range(2):
            step()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        result[case] = statistics.median(times)
    print(json.dumps(result))


# ------------------------------------------------------------------------------ driver side
def _run(framework, cases, repeats, threads, blas_threads=None):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    if blas_threads is not None and framework == "gradiente":
        env["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    cmd = [sys.executable, __file__, "--framework", framework, "--repeats", str(repeats)]
    cmd += ["--threads", str(threads), "--cases", *cases]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--framework", choices=["torch", "gradiente"])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--cases", nargs="+", default=CASES, choices=CASES)
    parser.add_argument(
        "--gradiente-blas-threads",
        type=int,
        help="override OpenBLAS's thread count for gradiente only (not a like-for-like run: "
        "shows what OpenBLAS's threading costs on a busy machine)",
    )
    args = parser.parse_args()
    if args.framework:
        worker(args.framework, args.cases, args.repeats, args.threads)
        return

    load_start = os.getloadavg()[0]
    ratios = {c: [] for c in args.cases}
    times = {("torch", c): [] for c in args.cases} | {("gradiente", c): [] for c in args.cases}
    for pair in range(args.pairs):
        order = ["torch", "gradiente"] if pair % 2 == 0 else ["gradiente", "torch"]
        got = {
            fw: _run(fw, args.cases, args.repeats, args.threads, args.gradiente_blas_threads)
            for fw in order
        }
        for c in args.cases:
            ratios[c].append(got["gradiente"][c] / got["torch"][c])
            for fw in order:
                times[(fw, c)].append(got[fw][c])
        print(f"pair {pair + 1}/{args.pairs} done", file=sys.stderr)

    print(
        f"threads={args.threads}  pairs={args.pairs}  repeats={args.repeats}  batch={BATCH}  "
        f"load average {load_start:.1f} -> {os.getloadavg()[0]:.1f} (on {os.cpu_count()} CPUs)"
    )
    if args.gradiente_blas_threads is not None:
        print(f"gradiente's OpenBLAS limited to {args.gradiente_blas_threads} thread(s)")
    print(f"{'case':<50} {'torch ms':>9} {'gradiente ms':>13} {'ratio':>7}")
    for c in args.cases:
        t = statistics.median(times[("torch", c)]) * 1e3
        g = statistics.median(times[("gradiente", c)]) * 1e3
        r = statistics.median(ratios[c])
        print(f"{TITLES[c]:<50} {t:9.2f} {g:13.2f} {r:6.2f}x")


if __name__ == "__main__":
    main()
