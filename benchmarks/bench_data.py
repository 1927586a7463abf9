"""Data loading, gradiente vs PyTorch (CPU): one shuffled DataLoader epoch, side by side.

The case: a ``TensorDataset`` of 60,000 random 1x28x28 float32 images and int64 labels (MNIST's
training-set shape), ``DataLoader(batch_size=64, shuffle=True, num_workers=0)``, and one full
epoch of iteration (938 batches). Each framework runs in its own process (this script re-invokes
itself with ``--framework``), the order alternating from pair to pair; the result is the median
of the per-pair time ratios gradiente/torch. Both processes get the same thread count, torch
with OMP_WAIT_POLICY=PASSIVE so its idle OpenMP threads do not spin on our cores.

    python benchmarks/bench_data.py                  # 5 pairs, 5 timed epochs per process
    python benchmarks/bench_data.py --pairs 7 --epochs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

N, BATCH = 60_000, 64


# ------------------------------------------------------------------------------ worker side
def worker(framework: str, epochs: int, threads: int) -> None:
    import numpy as np

    if framework == "torch":
        import torch as T
        from torch.utils.data import DataLoader, TensorDataset

        T.set_num_threads(threads)
    else:
        import gradiente as T
        from gradiente.utils.data import DataLoader, TensorDataset

    rng = np.random.default_rng(0)
    x = T.from_numpy(rng.random((N, 1, 28, 28), dtype=np.float32))
    y = T.from_numpy(rng.integers(0, 10, N).astype(np.int64))
    T.manual_seed(0)
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True, num_workers=0)

    def epoch() -> int:
        seen = 0
        for xb, yb in loader:
            seen += len(xb) if len(xb) == len(yb) else 0
        return seen

    assert epoch() == N  # warm-up epoch, and a check that every sample is visited
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"epoch": statistics.median(times)}))


# ------------------------------------------------------------------------------ driver side
def _run(framework: str, epochs: int, threads: int) -> float:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    cmd = [sys.executable, __file__, "--framework", framework, "--epochs", str(epochs)]
    cmd += ["--threads", str(threads)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["epoch"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--framework", choices=["torch", "gradiente"])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    if args.framework:
        worker(args.framework, args.epochs, args.threads)
        return

    ratios, times = [], {"torch": [], "gradiente": []}
    for pair in range(args.pairs):
        order = ["torch", "gradiente"] if pair % 2 == 0 else ["gradiente", "torch"]
        got = {fw: _run(fw, args.epochs, args.threads) for fw in order}
        ratios.append(got["gradiente"] / got["torch"])
        for fw in order:
            times[fw].append(got[fw])
        print(f"pair {pair + 1}/{args.pairs} done", file=sys.stderr)

    print(f"threads={args.threads}  pairs={args.pairs}  epochs={args.epochs}  batch={BATCH}")
    print(f"{'case':<52} {'torch ms':>9} {'gradiente ms':>13} {'ratio':>7}")
    t = statistics.median(times["torch"]) * 1e3
    g = statistics.median(times["gradiente"]) * 1e3
    title = f"DataLoader epoch, {N}x1x28x28 f32, batch {BATCH}, shuffle"
    print(f"{title:<52} {t:9.1f} {g:13.1f} {statistics.median(ratios):6.3f}x")


if __name__ == "__main__":
    main()
