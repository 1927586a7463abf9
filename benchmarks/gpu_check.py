"""GPU check for a lent machine: gradiente's ops on real CuPy against the CPU, and a LeNet.

Run on a machine with an NVIDIA GPU and ``pip install -e .[cuda]`` (CuPy)::

    python benchmarks/gpu_check.py            # prints PASS/FAIL per item, exits 1 on a FAIL

Each op runs on CPU tensors and on copies moved with ``.to("cuda")``; outputs and the
gradients of every input (random upstream gradient) must agree to 1e-5 of their scale
(float32, cuDNN without TF32) and 1e-10 (float64), and every CUDA result must be a CuPy array
on the GPU. Then a LeNet-5 trains a few steps with SGD and with Adam on both devices: same
losses to 1e-4 relative. Nothing here was run without a GPU: the same checks run on the CPU
against the strict CuPy stand-in in
``tests/test_devices_strict.py``.
"""

from __future__ import annotations

import sys
import time
import traceback

import numpy as np

import gradiente
import gradiente.nn.functional as F
from gradiente import backend as B
from gradiente import nn, optim

TOLERANCE = {gradiente.float32: 1e-5, gradiente.float64: 1e-10}
failures: list[str] = []


def report(name: str, ok: bool, detail: str = "") -> None:
    print(f"{'PASS' if ok else 'FAIL'}  {name}{('  ' + detail) if detail else ''}", flush=True)
    if not ok:
        failures.append(name)


def _run(fn, arrays, extra, where, dtype):
    xs = [gradiente.tensor(a, dtype=dtype).to(where).requires_grad_() for a in arrays]
    moved = [e.to(where) if isinstance(e, gradiente.Tensor) else e for e in extra]
    out = fn(*xs, *moved)
    if where == "cuda":
        assert isinstance(out._data, B._cupy.ndarray), f"result is {type(out._data)}"
    upstream = np.random.default_rng(1).standard_normal(tuple(out.shape))
    if out.requires_grad:
        (out * gradiente.tensor(upstream, dtype=out.dtype).to(where)).sum().backward()
    grads = [None if x.grad is None else x.grad.cpu().numpy() for x in xs]
    return out.detach().cpu().numpy(), grads


def _difference(got, want) -> float:
    """max |got - want| relative to want's scale (its largest magnitude, at least 1), as the
    GPU suite's tolerance: a sum of many products is exact only to its terms' size."""
    if not np.size(want):
        return 0.0
    return float(np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want)))))


def check_op(name, fn, shapes, extra=()):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    for dtype, tol in TOLERANCE.items():
        label = f"{name} [{str(dtype).removeprefix('torch.')}]"
        try:
            cpu = _run(fn, arrays, extra, "cpu", dtype)
            dev = _run(fn, arrays, extra, "cuda", dtype)
            worst = _difference(dev[0], cpu[0])
            for a, b in zip(cpu[1], dev[1]):
                if (a is None) != (b is None):
                    raise AssertionError("a gradient is missing on one device")
                if a is not None:
                    worst = max(worst, _difference(b, a))
            report(label, worst <= tol, f"max rel diff {worst:.2e}")
        except Exception as error:  # one failing op must not stop the others
            report(label, False, f"{type(error).__name__}: {error}")
            traceback.print_exc(limit=3)


OPS = [
    ("add/mul/div broadcast", lambda a, b: (a + b * 2.5 - 1) / (b.abs() + 1), [(64, 32), (32,)]),
    ("exp/log/tanh/sigmoid", lambda a: (a.abs() + 0.5).log() + a.tanh() * a.sigmoid(), [(128,)]),
    ("pow/sqrt/clamp", lambda a: a**2 + (a.abs() + 1).sqrt().clamp(1.1, 1.5), [(32, 32)]),
    (
        "where/maximum",
        lambda a, b: gradiente.where(a > b, a, b) + gradiente.maximum(a, b),
        [(50,), (50,)],
    ),
    ("sum/mean/var", lambda a: a.sum(1) + a.mean(1) + a.var(1), [(16, 33)]),
    ("max/amin/logsumexp", lambda a: a.max(1).values + a.amin(1) + a.logsumexp(1), [(16, 33)]),
    ("matmul", lambda a, b: a @ b, [(64, 48), (48, 32)]),
    ("bmm", lambda a, b: gradiente.bmm(a, b), [(4, 16, 8), (4, 8, 12)]),
    ("linear", lambda x, w, b: F.linear(x, w, b), [(32, 20), (10, 20), (10,)]),
    ("relu/gelu/silu", lambda a: F.relu(a) + F.gelu(a) + F.silu(a), [(16, 64)]),
    ("softmax/log_softmax", lambda a: F.softmax(a, 1) + F.log_softmax(a, 1), [(16, 10)]),
    ("mse/l1", lambda a, b: F.mse_loss(a, b) + F.l1_loss(a, b), [(16, 10), (16, 10)]),
    (
        "reshape/permute/cat/stack",
        lambda a, b: gradiente.cat([a, b]).reshape(4, -1).t() * gradiente.stack([a, b]).sum(),
        [(2, 6), (2, 6)],
    ),
    ("slicing/split", lambda a: a[1:, ::2].sum() + a.split(2, dim=1)[1].sum() * a[0, 1], [(6, 8)]),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (16,), w, b), [(8, 16), (16,), (16,)]),
    (
        "batch_norm",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [(8, 4, 5, 5), (4,), (4,)],
    ),
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, padding=1), [(4, 3, 16, 16), (8, 3, 3, 3), (8,)]),
    (
        "conv2d stride 2 groups 2",
        lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2),
        [(2, 4, 9, 9), (6, 2, 3, 3)],
    ),
    (
        "conv2d dilation 2",
        lambda x, w: F.conv2d(x, w, padding=2, dilation=2),
        [(2, 3, 8, 8), (4, 3, 3, 3)],
    ),
    ("max_pool2d", lambda x: F.max_pool2d(x, 2), [(4, 3, 8, 8)]),
    ("max_pool2d 3/2/1", lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [(4, 3, 9, 9)]),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 2), [(4, 3, 8, 8)]),
]


def check_indexed_ops():
    target = gradiente.tensor([0, 3, 1, 4, 9, 2, 2, 7])
    check_op("cross_entropy", lambda a, t: F.cross_entropy(a, t), [(8, 10)], (target,))
    check_op("nll_loss", lambda a, t: F.nll_loss(F.log_softmax(a, 1), t), [(8, 10)], (target,))
    index = gradiente.tensor([[0, 2], [1, 1], [3, 0]])
    check_op("gather", lambda a, i: a.gather(1, i), [(3, 4)], (index,))
    rows = gradiente.tensor([2, 0, 2])
    check_op("advanced index", lambda a, i: a[i] * 3, [(3, 4)], (rows,))
    check_op("embedding", lambda w, i: F.embedding(i, w), [(5, 3)], (rows,))


def lenet_losses(where, make_optimizer, steps=5):
    gradiente.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
    opt = make_optimizer(model.parameters())
    model.to(where)
    x = gradiente.randn(64, 1, 28, 28).to(where)
    y = gradiente.randint(0, 10, (64,)).to(where)
    losses, start = [], time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    if where == "cuda":
        gradiente.cuda.synchronize()
    return losses, (time.perf_counter() - start) / steps


def check_lenet():
    for name, make in (
        ("SGD", lambda ps: optim.SGD(ps, 0.05, momentum=0.9)),
        ("Adam", lambda ps: optim.Adam(ps, 1e-3)),
    ):
        try:
            cpu, cpu_step = lenet_losses("cpu", make)
            dev, dev_step = lenet_losses("cuda", make)
            worst = float(np.max(np.abs(np.subtract(dev, cpu)) / np.abs(cpu)))
            detail = (
                f"losses cpu {[round(v, 5) for v in cpu]} cuda {[round(v, 5) for v in dev]}, "
                f"max rel diff {worst:.1e}; step (incl. first-call compiles) "
                f"cpu {cpu_step * 1e3:.1f} ms, cuda {dev_step * 1e3:.1f} ms"
            )
            report(f"LeNet-5 b64 {name} 5 steps", worst <= 1e-4, detail)
        except Exception as error:
            report(f"LeNet-5 b64 {name}", False, f"{type(error).__name__}: {error}")
            traceback.print_exc(limit=5)


def report_cudnn_graphs() -> None:
    """Which convolutions ran as cuDNN graphs, and why any did not (ops/cudnn_conv.py keeps
    each refusal's reason; a graph whose first result disagreed with im2col is one)."""
    from gradiente.ops import cudnn_conv  # noqa: PLC0415 - only for this report

    if gradiente.backends.cudnn.version() is None:
        print("NOTE  no cuDNN frontend: convolutions ran on im2col + cuBLAS")
        return
    graphs = list(cudnn_conv._graphs.items())
    refused = [(key, why) for key, why in graphs if isinstance(why, str)]
    report(
        f"cuDNN graphs: {len(graphs) - len(refused)} used, {len(refused)} refused",
        bool(graphs) and not refused,
        "; ".join(f"{key[0]} {key[1]}: {why}" for key, why in refused[:5]),
    )


def main() -> int:
    if not gradiente.cuda.is_available():
        print("FAIL  no CUDA device (gradiente.cuda.is_available() is False)")
        return 1
    version = getattr(B._cupy, "__version__", "(stand-in)")
    print(
        f"device: {gradiente.cuda.get_device_name(0)}; CuPy {version}; "
        f"cuDNN {gradiente.backends.cudnn.version()}"
    )
    # The ops at float32's precision: convolutions without TF32, as torch's precision tests
    # run them (the LeNet losses below, to 1e-4, run with torch's default, TF32 on).
    with gradiente.backends.cudnn.flags(enabled=True, allow_tf32=False):
        for name, fn, shapes in OPS:
            check_op(name, fn, shapes)
    check_indexed_ops()
    report_cudnn_graphs()
    try:
        gradiente.ones(2).to("cuda") + gradiente.ones(2)
        report("mixing cuda and cpu raises", False, "no error")
    except RuntimeError as error:
        report("mixing cuda and cpu raises", "cuda:0 and cpu" in str(error), str(error))
    check_lenet()
    print(f"{len(failures)} FAIL" + (": " + ", ".join(failures) if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
