"""Whole training steps built from ``nn`` modules, gradiente vs PyTorch (CPU), side by side.

The issue's model benchmarks: a 784-256-128-10 MLP (batch 128), LeNet-5 (batch 64, 1x28x28)
and a VGG-style CNN (conv 3→32→32, pool, 64→64, pool, linear; batch 64, 3x32x32), each step
being forward, ``nn.CrossEntropyLoss``, ``zero_grad``, backward and ``optim.SGD(momentum=0.9)``
— the same code for both frameworks (``import gradiente as torch``). Plus the peak memory of the
LeNet step (and, with ``--cases vgg_memory``, of the VGG-style step): growth of the process's
peak resident set size over the steps, measured after the model, optimizer and batch exist
(so it counts activations, gradients and workspaces).

Each framework runs in its own process (this script re-invokes itself with ``--framework``),
order alternating from pair to pair; ratios are medians of per-pair ratios gradiente/torch.

    python benchmarks/bench_nn.py                 # 5 pairs, all cases, all CPUs
    python benchmarks/bench_nn.py --threads 1     # both single-threaded

The header names the BLAS kernel NumPy's OpenBLAS runs (threadpoolctl's "architecture"):
``OPENBLAS_CORETYPE`` in the environment forces one (some machines set it to an older core,
e.g. Haswell's AVX2 kernels on an AVX-512 CPU, which halves NumPy's GEMM speed while torch's
oneDNN is unaffected); the figure is only comparable with runs of the same kernel.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

CASES = ["mlp", "lenet", "vgg"]
TITLES = {
    "mlp": "MLP 784-256-128-10 step (batch 128)",
    "lenet": "LeNet-5 step (batch 64, 1x28x28)",
    "vgg": "VGG-style CNN step (batch 64, 3x32x32)",
}
# issue 13's targets for 2 cores (the memory one from the issue that added this benchmark)
TARGETS = {"mlp": 1.0, "lenet": 0.8, "vgg": 1.0, "memory": 1.5, "vgg_memory": 1.5}
# the memory cases: which model's step they measure, each in a process of its own
MEMORY = {"memory": "lenet", "vgg_memory": "vgg"}


def _models(torch):
    nn = torch.nn
    mlp = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256),
        nn.ReLU(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )
    lenet = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )
    vgg = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 10),
    )
    return {
        "mlp": (mlp, (128, 1, 28, 28)),
        "lenet": (lenet, (64, 1, 28, 28)),
        "vgg": (vgg, (64, 3, 32, 32)),
    }


def _step_fn(torch, model, shape):
    torch.manual_seed(0)
    x = torch.randn(*shape)
    y = torch.randint(0, 10, (shape[0],))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def worker(framework: str, cases, repeats: int, threads: int) -> None:
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
    else:
        import gradiente as torch
    torch.manual_seed(0)
    models = _models(torch)
    result = {}
    for case in cases:
        if case in MEMORY:
            model, shape = models[MEMORY[case]]
            step = _step_fn(torch, model, shape)
            before = _peak_rss_bytes()
            for _ in range(5):
                step()
            result[case] = _peak_rss_bytes() - before
    for case in cases:
        if case in MEMORY:
            continue
        model, shape = models[case]
        step = _step_fn(torch, model, shape)
        for _ in range(3):
            step()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        result[case] = statistics.median(times)
    if framework == "gradiente":
        result["blas"] = _blas_kernel()
    print(json.dumps(result))


def _blas_kernel() -> str:
    """NumPy's BLAS and the kernel it runs, e.g. "openblas 0.3.31 (SkylakeX, 2 threads)"."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    for pool in threadpool_info():
        if pool["user_api"] == "blas":
            kernel = pool.get("architecture") or "?"
            threads = pool["num_threads"]
            return f"{pool['internal_api']} {pool['version']} ({kernel}, {threads} threads)"
    return "none"


def _run(framework, cases, repeats, threads, gemm_threads=None):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    if gemm_threads:
        env["GRADIENTE_GEMM_THREADS"] = gemm_threads
    cmd = [
        sys.executable,
        __file__,
        "--framework",
        framework,
        "--repeats",
        str(repeats),
        "--threads",
        str(threads),
        "--cases",
        *cases,
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--framework", choices=["torch", "gradiente"])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument(
        "--gemm-threads",
        choices=["auto", "blas", "gradiente"],
        help="who runs gradiente's matrix products' threads (GRADIENTE_GEMM_THREADS; default auto)",
    )
    parser.add_argument(
        "--cases", nargs="+", default=CASES + ["memory"], choices=CASES + list(MEMORY)
    )
    args = parser.parse_args()
    if args.framework:
        worker(args.framework, args.cases, args.repeats, args.threads)
        return
    # Memory is measured in processes of its own, so timing runs do not inflate the peak.
    groups = [[c for c in args.cases if c not in MEMORY]] + [[c] for c in args.cases if c in MEMORY]
    groups = [g for g in groups if g]
    load_start = os.getloadavg()[0]
    kernels = set()
    values = {(fw, c): [] for fw in ("torch", "gradiente") for c in args.cases}
    ratios = {c: [] for c in args.cases}
    for pair in range(args.pairs):
        order = ["torch", "gradiente"] if pair % 2 == 0 else ["gradiente", "torch"]
        for group in groups:
            got = {
                fw: _run(fw, group, args.repeats, args.threads, args.gemm_threads) for fw in order
            }
            kernels.add(got["gradiente"].get("blas", "unknown"))
            for c in group:
                ratios[c].append(got["gradiente"][c] / got["torch"][c])
                for fw in order:
                    values[(fw, c)].append(got[fw][c])
        print(f"pair {pair + 1}/{args.pairs} done", file=sys.stderr)
    print(
        f"threads={args.threads}  gemm threads={args.gemm_threads or 'auto'}  "
        f"pairs={args.pairs}  repeats={args.repeats}  "
        f"load average {load_start:.1f} -> {os.getloadavg()[0]:.1f} (on {os.cpu_count()} CPUs)"
    )
    forced = os.environ.get("OPENBLAS_CORETYPE")
    print(
        f"NumPy BLAS: {', '.join(sorted(kernels))}"
        + (f"  (OPENBLAS_CORETYPE={forced} forces the kernel)" if forced else "")
    )
    print(f"{'case':<42} {'torch':>10} {'gradiente':>10} {'ratio':>7} {'target':>7}")
    for c in args.cases:
        t = statistics.median(values[("torch", c)])
        g = statistics.median(values[("gradiente", c)])
        r = statistics.median(ratios[c])
        ok = "ok" if r <= TARGETS[c] else "MISS"
        if c in MEMORY:
            model = {"lenet": "LeNet-5", "vgg": "VGG-style"}[MEMORY[c]]
            name = f"{model} step peak memory (RSS growth)"
            ts, gs = f"{t / 2**20:.1f} MiB", f"{g / 2**20:.1f} MiB"
        else:
            name, ts, gs = TITLES[c], f"{t * 1e3:.2f} ms", f"{g * 1e3:.2f} ms"
        print(f"{name:<42} {ts:>10} {gs:>10} {r:6.2f}x {TARGETS[c]:5.1f}x {ok}")


if __name__ == "__main__":
    main()
