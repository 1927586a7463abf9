"""GPU training steps, gradiente on CuPy vs PyTorch on CUDA, on the same GPU.

The models of ``bench_nn.py`` (MLP b128, LeNet-5 b64 and b256, VGG-style b64, b256 and b1024),
each step forward, ``CrossEntropyLoss``, ``zero_grad``, backward and ``SGD(momentum=0.9)``,
written once for both frameworks (``import gradiente as torch``), the model built on the CPU
and moved with ``.to("cuda")``, the batch on the device. Step time: the median over the
repeats of (step + ``cuda.synchronize()``); peak memory: ``cuda.max_memory_allocated()`` over
the steps. Each framework runs in its own process, the order alternating from pair to pair;
ratios are medians of per-pair ratios gradiente/torch.

    python benchmarks/bench_gpu.py                  # needs an NVIDIA GPU, CuPy and torch+CUDA
    python benchmarks/bench_gpu.py --stand-in       # gradiente alone on the CPU stand-in:
                                                    # checks the script, measures no GPU

Targets (issue 11): VGG-style b256 and b1024 at most 1.5x torch's step time, LeNet-5 b64 at
most 3x, MLP b128 at most 2x, peak GPU memory at most 1.5x torch's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CASES = {  # name: (bench_nn model, batch)
    "mlp_b128": ("mlp", 128),
    "lenet_b64": ("lenet", 64),
    "lenet_b256": ("lenet", 256),
    "vgg_b64": ("vgg", 64),
    "vgg_b256": ("vgg", 256),
    "vgg_b1024": ("vgg", 1024),
}
TARGETS = {"mlp_b128": 2.0, "lenet_b64": 3.0, "vgg_b256": 1.5, "vgg_b1024": 1.5}
MEMORY_TARGET = 1.5


def _time_case(torch, bench_nn, case: str, repeats: int) -> dict:
    """Median step time (step + synchronize) and peak device memory of one case."""
    name, batch = CASES[case]
    torch.manual_seed(0)
    model, shape = bench_nn._models(torch)[name]
    model = model.to("cuda")
    x = torch.randn(batch, *shape[1:]).to("cuda")
    y = torch.randint(0, 10, (batch,)).to("cuda")
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return {"step": statistics.median(times), "memory": torch.cuda.max_memory_allocated()}


def worker(framework: str, cases, repeats: int) -> None:
    """Time each case on "cuda" in this process; print one JSON line."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_nn

    if framework == "torch":
        import torch
    else:
        import gradiente as torch
    print(json.dumps({case: _time_case(torch, bench_nn, case, repeats) for case in cases}))


def _run(framework: str, cases, repeats: int, stand_in: bool) -> dict:
    env = dict(os.environ)
    if stand_in:
        env["GRADIENTE_FAKE_CUDA"] = "1"
    cmd = [sys.executable, os.path.abspath(__file__), "--framework", framework]
    cmd += ["--repeats", str(repeats), "--cases", *cases]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:  # say why (no GPU, no CuPy, out of memory, ...) and stop
        sys.exit(f"bench_gpu: the {framework} worker failed:\n{out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(case: str, torch_runs: list, gradiente_runs: list) -> str:
    """One line of the table: both step times, the median per-pair ratio, peak memory ratio."""
    ratio = statistics.median(g["step"] / t["step"] for t, g in zip(torch_runs, gradiente_runs))
    memory = statistics.median(
        g["memory"] / max(t["memory"], 1) for t, g in zip(torch_runs, gradiente_runs)
    )
    t_ms = statistics.median(t["step"] for t in torch_runs) * 1e3
    g_ms = statistics.median(g["step"] for g in gradiente_runs) * 1e3
    target = TARGETS.get(case)
    verdict = "" if target is None else ("ok" if ratio <= target else "MISS")
    target_text = "" if target is None else f"{target:.1f}x"
    memory_verdict = "ok" if memory <= MEMORY_TARGET else "MISS"
    return (
        f"{case:<12} {t_ms:8.2f}ms {g_ms:8.2f}ms {ratio:6.2f}x {target_text:>6} {verdict:<4} "
        f"{memory:5.2f}x {memory_verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--framework", choices=["torch", "gradiente"])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument(
        "--stand-in",
        action="store_true",
        help="gradiente alone on the NumPy-backed CUDA stand-in (a check of this script)",
    )
    args = parser.parse_args()
    if args.framework:
        worker(args.framework, args.cases, args.repeats)
        return
    frameworks = ["gradiente"] if args.stand_in else ["torch", "gradiente"]
    got = {fw: [] for fw in frameworks}
    for pair in range(args.pairs):
        order = frameworks if pair % 2 == 0 else frameworks[::-1]
        for fw in order:
            got[fw].append(_run(fw, args.cases, args.repeats, args.stand_in))
        print(f"pair {pair + 1}/{args.pairs} done", file=sys.stderr)
    if args.stand_in:
        print("stand-in run (NumPy on the CPU): not GPU figures")
        for case in args.cases:
            step = statistics.median(r[case]["step"] for r in got["gradiente"])
            print(f"{case:<12} gradiente {step * 1e3:9.2f} ms")
        return
    print(f"pairs={args.pairs}  repeats={args.repeats}")
    print(f"{'case':<12} {'torch':>10} {'gradiente':>10} {'ratio':>7} {'target':>6}      memory")
    for case in args.cases:
        print(_row(case, [r[case] for r in got["torch"]], [r[case] for r in got["gradiente"]]))


if __name__ == "__main__":
    main()
