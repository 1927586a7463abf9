"""Shared test helpers: moving tensors between gradiente and torch, and checking an op against both.

Test files import these helpers directly (``from conftest import check_op, to_torch``): pytest
puts this directory on ``sys.path`` when it loads the conftest.

The central helper is ``check_op(op, *inputs)``. ``op(lib, *tensors)`` is written once and run
twice, with ``lib`` = ``gradiente`` and ``lib`` = ``torch`` (the APIs are the same), and it checks

* forward values, shapes and dtypes against torch (rtol 1e-7 in float64);
* gradients against torch for a *random* upstream gradient (an all-ones upstream gradient
  hides swapped or transposed gradients);
* ``gradiente.autograd.gradcheck`` (central differences, float64) on the op, both on the full
  Jacobian and on the scalar ⟨op(x), u⟩ with a random upstream u;
* optionally second derivatives (``create_graph=True``) against torch.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import textwrap
import threading

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente

try:
    import torch
except ImportError:  # torch is only needed by the comparisons, which skip without it
    torch = None

RTOL = 1e-7


def _stress_threads_from_environment():
    """``GRADIENTE_TEST_THREADS=N pytest ...`` runs the tests as a many-core machine would run
    them: ``set_num_threads(N)``, gradiente's own threads for the products, and the split
    thresholds lowered so that even a test's small arrays are cut into runs over the threads
    (a check of correctness, not speed; on this machine's 2 cores the threads take turns).
    Products cut into blocks sum in another order, so tests that compare this process's bytes
    with a subprocess's (which runs with the defaults), as tests/train/test_faults.py and
    test_device.py do, differ in the last bits in this mode."""
    n = os.environ.get("GRADIENTE_TEST_THREADS")
    if not n:
        return
    from gradiente import parallel
    from gradiente.ops import gemm

    gradiente.set_num_threads(int(n))
    gradiente.functions.settings.set_gemm_threading("gradiente")
    parallel.SPLIT_BYTES = 64
    gemm.MIN_MULTIPLY_ADDS, gemm.MIN_ROWS, gemm.ROW_BLOCK, gemm.TN_BLOCK = 1, 1, 3, 3


_stress_threads_from_environment()
ATOL = 1e-10


def _need_torch():
    return pytest.importorskip("torch")


def real_torchvision():
    """The real torchvision (the reference for gradiente.vision), or skip the test without it.

    The installed wheel needs a small import shim: see tests/torchvision_shim.py.
    """
    _need_torch()
    import importlib.util

    if importlib.util.find_spec("torchvision") is None:
        pytest.skip("torchvision is not installed")
    from torchvision_shim import import_torchvision

    return import_torchvision()


def to_torch(t, requires_grad=None):
    """A torch tensor with a copy of ``t``'s values (and ``t``'s requires_grad by default)."""
    _need_torch()
    out = torch.from_numpy(np.array(t.detach().numpy(), copy=True))
    if requires_grad is None:
        requires_grad = t.requires_grad
    return out.requires_grad_(True) if requires_grad else out


def from_torch(t, requires_grad=None):
    """A gradiente tensor with a copy of torch tensor ``t``'s values."""
    out = gradiente.from_numpy(np.array(t.detach().numpy(), copy=True))
    if requires_grad is None:
        requires_grad = t.requires_grad
    return out.requires_grad_(True) if requires_grad else out


def leaf(array, requires_grad=None):
    """A gradiente leaf owning a copy of ``array``; float arrays require grad by default."""
    array = np.array(array, copy=True)
    t = gradiente.from_numpy(array)
    if requires_grad is None:
        requires_grad = array.dtype.kind == "f"
    return t.requires_grad_(True) if requires_grad else t


def assert_same(g, t, rtol=RTOL, atol=ATOL, what="value"):
    """``g`` (gradiente) equals ``t`` (torch): same shape, dtype and values within tolerance."""
    assert tuple(g.shape) == tuple(t.shape), f"{what}: shape {tuple(g.shape)} != {tuple(t.shape)}"
    assert str(g.dtype) == str(t.dtype), f"{what}: dtype {g.dtype} != {t.dtype}"
    expected = t.detach().numpy(force=True)
    actual = g.detach().numpy()
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def _outputs(out):
    """The tensors an op returned (a tensor, a tuple or a namedtuple of tensors)."""
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def _differentiable(outs):
    return [i for i, o in enumerate(outs) if o.dtype.is_floating_point and o.requires_grad]


def random_like(shape, seed=0):
    """A reproducible random float64 array (used as an upstream gradient)."""
    return np.random.default_rng(seed).standard_normal(tuple(shape))


def uniform(shape, seed=0, low=-2.0, high=2.0):
    """Seeded float64 inputs, uniform in [low, high) (the losses' logits and predictions)."""
    return np.random.default_rng(seed).uniform(low, high, shape)


def class_indices(shape, C, seed=0):
    """Seeded int64 class targets in [0, C)."""
    return np.random.default_rng(seed).integers(0, C, shape).astype(np.int64)


def probabilities(shape, axis, seed=0):
    """Seeded rows of probabilities that sum to 1 along ``axis``."""
    e = np.exp(uniform(shape, seed))
    return e / e.sum(axis=axis, keepdims=True)


def run_with_torch_alias(code: str):
    """Run ``code`` in a fresh interpreter where ``import torch`` is gradiente (the alias of
    ``gradiente run``); this test process may have loaded the real torch, which the alias
    refuses to shadow."""
    prelude = "from gradiente import compat\ncompat.install()\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def torch_and_gradiente_print(code: str) -> tuple[str, str]:
    """``code`` run as a script by the real torch and by gradiente (``import torch`` aliased),
    each in a fresh interpreter: (torch's stdout + stderr's last line, gradiente's)."""
    _need_torch()
    outputs = []
    torch_prelude = (  # the real torchvision importable too (tests/torchvision_shim.py)
        f"import sys\nsys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})\n"
        "from torchvision_shim import import_torchvision\n"
        "try:\n    import_torchvision()\nexcept ImportError:\n    pass\n"
    )
    for prelude in (torch_prelude, "from gradiente import compat\ncompat.install()\n"):
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", PYTHONHASHSEED="0")
        done = subprocess.run(
            [sys.executable, "-c", prelude + textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        last_error = done.stderr.strip().splitlines()[-1:] if done.returncode else []
        outputs.append(done.stdout + "".join(last_error))
    return outputs[0], outputs[1]


def gradcheck_random_upstream(fn, inputs, seed=1, **kwargs):
    """gradcheck ``fn`` (full Jacobian) and the scalar ⟨fn(x), u⟩ for a random upstream u.

    The scalar form is what backward computes in practice; its random weights make every
    element of the gradient count differently, so swapped or mis-summed gradients show.
    """
    outs = _outputs(fn(*inputs))
    diff = _differentiable(outs)
    us = [gradiente.from_numpy(random_like(outs[i].shape, seed + i)) for i in diff]

    def weighted(*xs):
        outs = _outputs(fn(*xs))
        return sum((outs[i] * u).sum() for i, u in zip(diff, us, strict=True))

    assert gradiente.autograd.gradcheck(fn, inputs, **kwargs)
    assert gradiente.autograd.gradcheck(weighted, inputs, **kwargs)


def check_op(
    op,
    *arrays,
    rtol=RTOL,
    atol=ATOL,
    grad=True,
    gradcheck=True,
    double=False,
    requires_grad=None,
    seed=0,
):
    """Run ``op(lib, *tensors)`` in gradiente and torch and compare everything (see module doc).

    ``arrays`` are NumPy arrays (or Python scalars, passed through unchanged); float arrays
    become leaves that require grad unless ``requires_grad`` (one bool per input) says otherwise.
    ``double=True`` also compares second derivatives (a gradient computed with
    ``create_graph=True``, then differentiated again).
    """
    _need_torch()
    arrays = [np.asarray(a) if isinstance(a, np.generic) else a for a in arrays]
    if requires_grad is None:
        requires_grad = [isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays]
    requires_grad = [rg and grad for rg in requires_grad]
    g_in = [
        leaf(a, rg) if isinstance(a, np.ndarray) else a
        for a, rg in zip(arrays, requires_grad, strict=True)
    ]
    t_in = [to_torch(x) if isinstance(x, gradiente.Tensor) else x for x in g_in]

    g_out = _outputs(op(gradiente, *g_in))
    t_out = _outputs(op(torch, *t_in))
    assert len(g_out) == len(t_out), f"{len(g_out)} outputs, torch gives {len(t_out)}"
    for i, (g, t) in enumerate(zip(g_out, t_out, strict=True)):
        assert isinstance(g, gradiente.Tensor), f"output {i} is a {type(g).__name__}"
        assert_same(g, t, rtol, atol, what=f"output {i}")
        assert g.requires_grad == t.requires_grad, f"output {i}: requires_grad differs"

    g_leaves = [x for x in g_in if isinstance(x, gradiente.Tensor) and x.requires_grad]
    t_leaves = [x for x in t_in if isinstance(x, torch.Tensor) and x.requires_grad]
    diff = _differentiable(g_out)
    if not (grad and g_leaves and diff):
        return g_out
    assert diff == _differentiable(t_out)

    # Gradients for a random upstream gradient, against torch.
    ups = [random_like(g_out[i].shape, seed + 10 + i) for i in diff]
    g_grads = gradiente.autograd.grad(
        [g_out[i] for i in diff],
        g_leaves,
        [
            gradiente.from_numpy(u.astype(g_out[i].numpy(force=True).dtype))
            for i, u in zip(diff, ups, strict=True)
        ],
        allow_unused=True,
        create_graph=double,
    )
    t_grads = torch.autograd.grad(
        [t_out[i] for i in diff],
        t_leaves,
        [torch.from_numpy(u).to(t_out[i].dtype) for i, u in zip(diff, ups, strict=True)],
        allow_unused=True,
        create_graph=double,
    )
    for k, (g, t) in enumerate(zip(g_grads, t_grads, strict=True)):
        if t is None:
            assert g is None or not g.detach().numpy(force=True).any(), f"grad {k}: torch has none"
            continue
        if g is None and t.numel() == 0:
            continue  # an empty input: torch returns an empty gradient, gradiente may skip it
        assert g is not None, f"grad {k}: gradiente gives None, torch a gradient"
        assert_same(g, t, rtol, atol, what=f"grad of input {k}")

    if double:
        # d/dx ⟨∇ₓ⟨op(x), u⟩, v⟩: exercises every backward written with Tensor ops. A first
        # gradient that does not require grad has a zero derivative (torch may still record it).
        vs = [
            random_like(t.shape, seed + 50 + k) if t is not None else None
            for k, t in enumerate(t_grads)
        ]
        t_pairs = [
            (t, v) for t, v in zip(t_grads, vs, strict=True) if t is not None and t.requires_grad
        ]
        g_pairs = [
            (g, v) for g, v in zip(g_grads, vs, strict=True) if g is not None and g.requires_grad
        ]
        t2 = [None] * len(t_leaves)
        if t_pairs:
            t2 = torch.autograd.grad(
                [t for t, _ in t_pairs],
                t_leaves,
                [torch.from_numpy(v) for _, v in t_pairs],
                allow_unused=True,
            )
        g2 = [None] * len(g_leaves)
        if g_pairs:
            g2 = gradiente.autograd.grad(
                [g for g, _ in g_pairs],
                g_leaves,
                [gradiente.from_numpy(v) for _, v in g_pairs],
                allow_unused=True,
            )
        for k, (g, t) in enumerate(zip(g2, t2, strict=True)):
            if t is None or g is None:
                for other in (g, t):
                    if other is not None:
                        value = np.abs(other.detach().numpy(force=True)).max(initial=0.0)
                        assert value <= 1e-12, (
                            f"second derivative {k}: one side is None, the other {value}"
                        )
                continue
            assert_same(g, t, rtol, atol, what=f"second derivative wrt input {k}")

    if gradcheck and all(x.dtype == gradiente.float64 for x in g_leaves):

        def fn(*xs):
            args = list(g_in)
            it = iter(xs)
            for j, x in enumerate(g_in):
                if isinstance(x, gradiente.Tensor) and x.requires_grad:
                    args[j] = next(it)
            return tuple(_outputs(op(gradiente, *args)))

        gradcheck_random_upstream(fn, g_leaves)
    return g_out


class LyingServer:
    """Serves ``files[name] = (body, announced Content-Length)`` on 127.0.0.1, then closes the
    connection (a body shorter than announced looks like a cut connection)."""

    def __init__(self, files):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body, length = files.get(self.path.lstrip("/"), (None, None))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
