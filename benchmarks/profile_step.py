"""Where a training step's time goes: per op kind, optimizer, engine, and the GEMM floor.

For each model of ``bench_nn.py`` (MLP, LeNet-5, VGG-style) this runs the same training step
(forward, cross-entropy, ``zero_grad``, backward, SGD with momentum) with every op's
``forward`` and ``backward`` wrapped in a timer, and prints

- the time of each op kind (``Conv2d.forward``, ``MaxPool2d.backward``, ...), *exclusive* of
  the ops it calls, as a share of the step;
- the optimizer's ``step``/``zero_grad`` and what is left (the engine's walk, Python glue);
- the **GEMM floor**: the same matrix products the convolutions and linear layers run
  (forward, input gradient, weight gradient; shapes derived from the layers), timed alone
  with ``numpy.matmul``. A design that computes convolutions as im2col GEMMs cannot be faster
  than this; ``step / floor`` says how far from that limit the rest of the work keeps us;
- the time inside the GEMMs that the shifted convolutions (``ops/shifted_conv.py``) call
  directly through ``gradiente._blas``, when they run: they do more multiplications than the
  floor's products (the padded grid's thrown-away rows) but build no columns.

The timers cost a few microseconds per op, so op shares are exact enough to rank the work,
and the step time printed first is measured without them.

    python benchmarks/profile_step.py                 # all models, all CPUs
    python benchmarks/profile_step.py --models vgg --threads 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict


def _set_threads(n: int) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


class OpTimer:
    """Wraps every Function subclass's forward/backward to add up exclusive times by name."""

    def __init__(self):
        self.totals = defaultdict(float)
        self.counts = defaultdict(int)
        self._stack = []  # [start, time spent in nested timed calls]
        self._originals = []

    def _wrap(self, name, fn):
        def timed(*args, **kwargs):
            self._stack.append([time.perf_counter(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                start, nested = self._stack.pop()
                spent = time.perf_counter() - start
                self.totals[name] += spent - nested
                self.counts[name] += 1
                if self._stack:
                    self._stack[-1][1] += spent

        return timed

    def _wrap_method(self, owner, attr, name):
        """Replace ``owner.attr`` with a timed version (keeping it a staticmethod)."""
        raw = owner.__dict__[attr]
        self._originals.append((owner, attr, raw))
        fn = raw.__func__ if isinstance(raw, staticmethod) else raw
        timed = self._wrap(name, fn)
        setattr(owner, attr, staticmethod(timed) if isinstance(raw, staticmethod) else timed)

    def install(self, gradiente) -> None:
        from gradiente.autograd.function import Function

        todo, seen = [Function], set()
        while todo:
            cls = todo.pop()
            for sub in cls.__subclasses__():
                if sub in seen:
                    continue
                seen.add(sub)
                todo.append(sub)
                for attr in ("forward", "backward"):
                    if attr in sub.__dict__:
                        self._wrap_method(sub, attr, f"{sub.__name__}.{attr}")

    def time_call(self, name, fn, *args):
        return self._wrap(name, fn)(*args)

    def uninstall(self) -> None:
        for owner, attr, raw in reversed(self._originals):
            setattr(owner, attr, raw)
        self._originals.clear()


class _DirectGemmTimer:
    """Adds up the time of the GEMMs that ``gradiente._blas`` calls directly (the shifted
    convolutions' products; ``numpy.matmul``'s are in the GEMM floor)."""

    def __init__(self):
        from gradiente import _blas

        self.seconds, self.calls, self._blas = 0.0, 0, _blas
        self._original = _blas.gemm

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return self._original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1

        _blas.gemm = timed

    def uninstall(self) -> None:
        self._blas.gemm = self._original


def _gemm_shapes(model, input_shape):
    """(m, k, n) of every matrix product a step runs in the conv and linear layers."""
    import gradiente as torch

    shapes = []
    first = True

    def hook(module, inputs, output):
        nonlocal first
        x = inputs[0]
        if isinstance(module, torch.nn.Conv2d):
            n, c = x.shape[:2]
            o, _, kh, kw = module.weight.shape
            m = n * output.shape[2] * output.shape[3]
            shapes.append((m, c * kh * kw, o))  # forward: cols @ Wᵀ
            shapes.append((o, m, c * kh * kw))  # weight grad: gᵀ @ cols
            if not first:
                shapes.append((m, o * kh * kw, c))  # input grad: a conv of the gradient
        elif isinstance(module, torch.nn.Linear):
            rows, fan_in = x.reshape(-1, x.shape[-1]).shape
            fan_out = module.weight.shape[0]
            shapes.append((rows, fan_in, fan_out))
            shapes.append((fan_out, rows, fan_in))
            if not first:
                shapes.append((rows, fan_out, fan_in))
        else:
            return
        first = False

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model(torch.randn(*input_shape))
    for h in handles:
        h.remove()
    return shapes


def _gemm_floor(shapes, repeats):
    """Median seconds of running all the products once, each with preallocated operands."""
    import numpy as np

    rng = np.random.default_rng(0)
    ops = []
    for m, k, n in shapes:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        ops.append((a, b, np.empty((m, n), np.float32)))
    for a, b, out in ops:
        np.matmul(a, b, out=out)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for a, b, out in ops:
            np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def profile(case: str, repeats: int) -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_nn

    import gradiente as torch

    torch.manual_seed(0)
    model, shape = bench_nn._models(torch)[case]
    step = bench_nn._step_fn(torch, model, shape)
    for _ in range(3):
        step()
    plain = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        plain.append(time.perf_counter() - t0)
    step_time = statistics.median(plain)

    # The same step, timed piece by piece (the optimizer's calls timed as named pieces too).
    x = torch.randn(*shape)
    y = torch.randint(0, 10, (shape[0],))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    timer = OpTimer()
    timer.install(torch)
    direct = _DirectGemmTimer()
    total = 0.0
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            timer.time_call("optimizer.zero_grad", opt.zero_grad)
            loss = loss_fn(model(x), y)
            loss.backward()
            timer.time_call("optimizer.step", opt.step)
            total += time.perf_counter() - t0
    finally:
        timer.uninstall()
        direct.uninstall()
    shares = {k: v / repeats for k, v in timer.totals.items()}
    per_step = total / repeats
    shares["(engine, modules, Python glue)"] = per_step - sum(shares.values())

    floor = _gemm_floor(_gemm_shapes(model, shape), repeats)
    print(f"\n== {bench_nn.TITLES[case]}")
    print(f"step {step_time * 1e3:.2f} ms untimed ({per_step * 1e3:.2f} ms with timers)")
    print(
        f"GEMM floor {floor * 1e3:.2f} ms = {floor / step_time:.0%} of the step "
        f"(step / floor = {step_time / floor:.2f}x)"
    )
    if direct.calls:
        inside = direct.seconds / repeats
        print(
            f"direct BLAS GEMMs (the shifted convolutions, inside the pieces below): "
            f"{inside * 1e3:.2f} ms = {inside / per_step:.0%} of the timed step, "
            f"{direct.calls / repeats:.0f} calls"
        )
    print(f"{'piece':<40} {'ms/step':>8} {'share':>7} {'calls/step':>10}")
    for name, t in sorted(shares.items(), key=lambda kv: -kv[1]):
        calls = timer.counts.get(name, 0) / repeats
        if t / per_step < 0.005:
            continue
        print(f"{name:<40} {t * 1e3:8.2f} {t / per_step:7.1%} {calls:10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["mlp", "lenet", "vgg"])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    _set_threads(args.threads)  # before NumPy loads its BLAS
    import gradiente

    gradiente.set_num_threads(args.threads)
    print(f"threads={args.threads} on {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    for case in args.models:
        profile(case, args.repeats)


if __name__ == "__main__":
    main()
