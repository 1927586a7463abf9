"""Core engine speed vs PyTorch: per-op overhead of a tiny graph, and a large matmul.

Usage::

    python benchmarks/bench_core.py                 # 5 pairs of runs, prints the table
    python benchmarks/bench_core.py --pairs 9 --threads 2

Each framework is timed in its own process (this script re-invokes itself with
``--framework torch`` or ``--framework gradiente``): in one process, torch's OpenMP threads
busy-wait after each op and starve NumPy's BLAS threads. The two processes of a pair run one
after the other, alternating which goes first; the reported ratio is the median over pairs of
(gradiente time / torch time), which cancels most of the machine's drift. Both processes get
the same thread count, and torch gets ``OMP_WAIT_POLICY=PASSIVE``.

Targets (from the core issue): tiny-op overhead at most 3x torch's, the 1024x1024 float32
matmul forward+backward within 1.1x of torch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

TARGETS = {"small_op_1": 3.0, "small_op_10": 3.0, "matmul_1024": 1.1, "gemm_only_1024": None}
LABELS = {
    "small_op_1": "(a * b).sum().backward(), 1 element",
    "small_op_10": "(a * b).sum().backward(), 10 elements",
    "matmul_1024": "1024x1024 float32 a @ b, forward + backward",
    "gemm_only_1024": "  the same 3 GEMMs without autograd (BLAS alone)",
}


def _thread_env(threads: int, framework: str) -> dict:
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    if framework == "torch":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def _best_of(fn, repeats: int, number: int) -> float:
    """Seconds per call: the median of ``repeats`` timings of ``number`` calls each."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def run_framework(name: str, threads: int, small_iters: int) -> dict:
    """Time both benchmarks in this process with ``name`` as the framework."""
    if name == "torch":
        import torch as lib

        lib.set_num_threads(threads)
    else:
        import gradiente as lib
    import numpy as np

    results = {}
    for n in (1, 10):
        a = lib.ones(n, requires_grad=True)
        b = lib.full((n,), 2.0, requires_grad=True)

        def step(a=a, b=b):
            (a * b).sum().backward()

        for _ in range(200):  # warm-up
            step()
        results[f"small_op_{n}"] = _best_of(step, repeats=7, number=small_iters)

    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.standard_normal((1024, 1024), dtype=np.float32)).requires_grad_()
    w = lib.from_numpy(rng.standard_normal((1024, 1024), dtype=np.float32)).requires_grad_()
    upstream = lib.from_numpy(rng.standard_normal((1024, 1024), dtype=np.float32))

    def matmul_step():
        x.grad = w.grad = None
        (x @ w).backward(upstream)

    for _ in range(3):
        matmul_step()
    results["matmul_1024"] = _best_of(matmul_step, repeats=7, number=3)

    # The floor: the three products of forward + backward (y = xw, gx = g wᵀ, gw = xᵀ g) done
    # by the array library directly — NumPy's BLAS for gradiente, torch's for torch.
    if name == "torch":
        xa, wa, ga = x.detach(), w.detach(), upstream
    else:
        xa, wa, ga = x.detach().numpy(), w.detach().numpy(), upstream.numpy()

    def gemms():
        return xa @ wa, ga @ wa.T, xa.T @ ga

    gemms()
    results["gemm_only_1024"] = _best_of(gemms, repeats=7, number=3)
    return results


def _child(framework: str, threads: int, small_iters: int) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--framework",
            framework,
            "--threads",
            str(threads),
            "--small-iters",
            str(small_iters),
        ],
        env=_thread_env(threads, framework),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _format_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} us"
    return f"{seconds * 1e3:8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=["torch", "gradiente"], help=argparse.SUPPRESS)
    parser.add_argument("--pairs", type=int, default=5, help="pairs of runs (default 5)")
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="threads for both frameworks (default: all cores)",
    )
    parser.add_argument(
        "--small-iters",
        type=int,
        default=2000,
        help="iterations per timing of the tiny op (default 2000)",
    )
    args = parser.parse_args()

    if args.framework:
        print(json.dumps(run_framework(args.framework, args.threads, args.small_iters)))
        return

    runs = {"torch": [], "gradiente": []}
    for pair in range(args.pairs):
        order = ("torch", "gradiente") if pair % 2 == 0 else ("gradiente", "torch")
        for framework in order:
            runs[framework].append(_child(framework, args.threads, args.small_iters))
        print(f"pair {pair + 1}/{args.pairs} done ({order[0]} first)", file=sys.stderr)

    print(
        f"threads={args.threads} pairs={args.pairs} (median over pairs; ratio = gradiente/torch "
        "per pair, then median)"
    )
    header = f"{'benchmark':48} {'torch':>11} {'gradiente':>11} {'ratio':>7} {'target':>7}"
    print(header)
    print("-" * len(header))
    for key, label in LABELS.items():
        t = [r[key] for r in runs["torch"]]
        g = [r[key] for r in runs["gradiente"]]
        ratio = statistics.median(gi / ti for gi, ti in zip(g, t, strict=True))
        target = TARGETS[key]
        verdict = "" if target is None else ("ok" if ratio <= target else "MISS")
        target_text = "" if target is None else f"{target:.1f}x"
        print(
            f"{label:48} {_format_time(statistics.median(t)):>11} "
            f"{_format_time(statistics.median(g)):>11} {ratio:6.2f}x {target_text:>7} {verdict}"
        )


if __name__ == "__main__":
    main()
