"""CUDA convolutions through cuDNN graphs (``ops/cudnn_conv.py``), on CPU-only machines.

The stand-in CUDA device (NumPy arrays behind CuPy's rules) runs the CUDA code path, and a
stand-in ``cudnn`` module plays NVIDIA's cuDNN frontend: it records how each graph is built
(the calls, in order; dims and strides of every tensor) and, when executed, checks that the
arrays it gets match the tensors' dims and strides, then computes the convolution on the host
with gradiente's CPU convolution. So these tests check gradiente's side of the contract
(which graph for which product, shapes, strides, padding, stride, dilation, groups implied by
the shapes, caching, the fallback and the self-check), not cuDNN's kernels: those are checked
on a GPU by ``pytest -m cuda`` (``benchmarks/gpu_check.sh``).
"""

from __future__ import annotations

import sys
import types
import warnings

import numpy as np
import pytest

import gradiente
from gradiente import backend as B
from gradiente.backends import cudnn as cudnn_settings
from gradiente.ops import cudnn_conv

BUILD_ORDER = [
    "validate",
    "build_operation_graph",
    "create_execution_plans",
    "check_support",
    "build_plans",
]


class _Tensor:
    def __init__(self, name, dim=None, stride=None, data_type=None):
        self.name, self.dim, self.stride, self.data_type = name, dim, stride, data_type
        self.output = False

    def set_output(self, value):
        self.output = value
        return self

    def set_dim(self, dim):
        self.dim = list(dim)
        return self

    def set_stride(self, stride):
        self.stride = list(stride)
        return self


class _Graph:
    def __init__(self, frontend, handle, io_data_type, intermediate_data_type, compute_data_type):
        self.frontend, self.io_type, self.calls, self.op = frontend, io_data_type, [], None
        assert handle is not None and compute_data_type == intermediate_data_type
        frontend.graphs.append(self)

    def tensor(self, name, dim, stride, data_type):
        assert data_type == self.io_type
        return _Tensor(name, list(dim), list(stride), data_type)

    def _op(self, kind, a, b, padding, stride, dilation):
        assert self.op is None, "one operation per graph"
        self.op = (kind, a, b, list(padding), list(stride), list(dilation))
        return _Tensor(kind + "_out")

    def conv_fprop(self, image, weight, padding, stride, dilation):
        return self._op("fprop", image, weight, padding, stride, dilation)

    def conv_dgrad(self, loss, filter, padding, stride, dilation):  # noqa: A002 - the API's
        return self._op("dgrad", loss, filter, padding, stride, dilation)

    def conv_wgrad(self, image, loss, padding, stride, dilation):
        return self._op("wgrad", image, loss, padding, stride, dilation)

    def __getattr__(self, name):
        if name in BUILD_ORDER or name == "deselect_numeric_notes":

            def step(*args):
                self.calls.append((name, args))
                if name == "check_support" and self.frontend.refuse:
                    raise RuntimeError("graph not supported: no engine for it")

            return step
        raise AttributeError(name)

    def get_workspace_size(self):
        return 64

    def execute(self, tensors, workspace, handle):
        kind, ta, tb, padding, stride, dilation = self.op
        (out_tensor,) = [t for t in tensors if t.output]
        a, b, out = tensors[ta], tensors[tb], tensors[out_tensor]
        for t, array in ((ta, a), (tb, b), (out_tensor, out)):
            assert list(array.shape) == t.dim
            assert [s // array.itemsize for s in array.strides] == t.stride
        assert workspace.dtype == np.uint8 and workspace.size >= 64
        self.frontend.executed.append(kind)
        a, b = gradiente.from_numpy(a.get()), gradiente.from_numpy(b.get())
        result = _host_conv(kind, a, b, list(out.shape), padding, stride, dilation)
        out[...] = B._cupy.asarray(result * self.frontend.factor)


def _host_conv(kind, a, b, out_shape, padding, stride, dilation):
    """What cuDNN computes, on the host: groups from the shapes, as cuDNN infers them."""
    conv = gradiente.nn.functional.conv2d
    with gradiente.enable_grad():  # (called inside a backward pass)
        return _host_conv_product(conv, kind, a, b, out_shape, padding, stride, dilation)


def _host_conv_product(conv, kind, a, b, out_shape, padding, stride, dilation):
    if kind == "fprop":
        groups = a.shape[1] // b.shape[1]
        return conv(a, b, None, stride, padding, dilation, groups).numpy()
    if kind == "dgrad":  # a = dL/dy, b = W; out = dL/dx
        x = gradiente.zeros(out_shape, dtype=a.dtype, requires_grad=True)
        conv(x, b, None, stride, padding, dilation, out_shape[1] // b.shape[1]).backward(a)
        return x.grad.numpy()
    w = gradiente.zeros(out_shape, dtype=a.dtype, requires_grad=True)  # a = x, b = dL/dy
    conv(a, w, None, stride, padding, dilation, a.shape[1] // out_shape[1]).backward(b)
    return w.grad.numpy()


def _frontend():
    frontend = types.ModuleType("cudnn")
    frontend.graphs, frontend.executed, frontend.refuse, frontend.factor = [], [], False, 1.0
    frontend.data_type = types.SimpleNamespace(FLOAT="FLOAT", DOUBLE="DOUBLE", HALF="HALF")
    frontend.heur_mode = types.SimpleNamespace(A="A", FALLBACK="FALLBACK")
    frontend.numerical_note = types.SimpleNamespace(TENSOR_CORE="TENSOR_CORE")
    frontend.create_handle = lambda: object()
    frontend.backend_version = lambda: 91900
    frontend.pygraph = lambda **kw: _Graph(frontend, **kw)
    return frontend


@pytest.fixture
def frontend(monkeypatch):
    B.set_stand_in_cuda(1)
    fake = _frontend()
    monkeypatch.setitem(sys.modules, "cudnn", fake)
    cudnn_conv.forget()
    yield fake
    cudnn_conv.forget()
    cudnn_settings.enabled, cudnn_settings.allow_tf32 = True, True
    B.set_stand_in_cuda(0)


def _conv_both_ways(make_layer, x_shape, dtype=gradiente.float32, seed=0):
    """Output, input gradient and parameter gradients of the layer on the CPU and on CUDA."""
    results = []
    for device in ("cpu", "cuda"):
        gradiente.manual_seed(seed)
        layer = make_layer().to(dtype)
        x = gradiente.randn(x_shape, dtype=dtype)
        layer.to(device)
        x = x.to(device).requires_grad_()
        y = layer(x)
        u = gradiente.randn(y.shape, dtype=dtype, generator=gradiente.Generator().manual_seed(1))
        y.backward(u.to(device))
        grads = [x.grad] + [p.grad for p in layer.parameters()]
        results.append([t.detach().cpu().numpy() for t in [y, *grads]])
    return results


CASES = [
    (lambda: gradiente.nn.Conv2d(3, 8, 3, padding=1), (2, 3, 9, 9)),
    (lambda: gradiente.nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False), (2, 4, 9, 8)),
    (lambda: gradiente.nn.Conv2d(4, 4, 3, dilation=2, padding=2), (1, 4, 10, 10)),
    (lambda: gradiente.nn.Conv2d(4, 6, (3, 1), groups=2), (2, 4, 7, 5)),
    (lambda: gradiente.nn.Conv1d(3, 5, 4, stride=2, padding=1), (2, 3, 17)),
    (lambda: gradiente.nn.ConvTranspose2d(4, 6, 3, 2, padding=1, output_padding=1), (2, 4, 5, 5)),
    (lambda: gradiente.nn.ConvTranspose2d(4, 6, 3, groups=2), (1, 4, 4, 6)),
]  # fmt: skip


@pytest.mark.parametrize("case", range(len(CASES)))
def test_cudnn_graphs_give_the_cpu_numbers(frontend, case):
    make_layer, x_shape = CASES[case]
    cpu, cuda = _conv_both_ways(make_layer, x_shape)
    for want, got in zip(cpu, cuda):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert sorted(set(frontend.executed)) == ["dgrad", "fprop", "wgrad"]  # no im2col at all
    for graph in frontend.graphs:
        assert [name for name, _ in graph.calls] == BUILD_ORDER
        assert graph.calls[2][1] == (["A", "FALLBACK"],)


def test_float64_graphs_use_double_and_agree_to_float64_precision(frontend):
    cpu, cuda = _conv_both_ways(CASES[1][0], CASES[1][1], dtype=gradiente.float64)
    for want, got in zip(cpu, cuda):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert {graph.io_type for graph in frontend.graphs} == {"DOUBLE"}


def test_each_graph_is_built_once_and_then_only_executed(frontend):
    make_layer, x_shape = CASES[0]
    _conv_both_ways(make_layer, x_shape)
    built = len(frontend.graphs)
    assert built == 3
    _conv_both_ways(make_layer, x_shape)
    assert len(frontend.graphs) == built
    assert len(frontend.executed) == 6
    _conv_both_ways(make_layer, (3, 3, 9, 9))  # another batch: new graphs
    assert len(frontend.graphs) == 6


def test_asymmetric_padding_takes_the_im2col_path(frontend):
    cpu, cuda = _conv_both_ways(lambda: gradiente.nn.Conv2d(2, 3, 4, padding="same"), (1, 2, 6, 6))
    for want, got in zip(cpu, cuda):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert frontend.graphs == []


def test_a_refused_graph_falls_back_once_with_one_warning(frontend):
    frontend.refuse = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cpu, cuda = _conv_both_ways(*CASES[0])
        _conv_both_ways(*CASES[0])
    for want, got in zip(cpu, cuda):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # fprop and dgrad were tried once each (never rebuilt); the weight gradient used the
    # columns that the im2col forward had made
    assert len(frontend.graphs) == 2 and frontend.executed == []
    messages = [str(w.message) for w in caught if "cuDNN" in str(w.message)]
    assert len(messages) == 2 and all("not supported" in m for m in messages)


def test_a_graph_whose_first_result_disagrees_is_never_used_again(frontend):
    frontend.factor = 1.05  # a wrong result, 5 % off
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cpu, cuda = _conv_both_ways(*CASES[0])
        executed = len(frontend.executed)
        again = _conv_both_ways(*CASES[0])[1]
    for want, got, got_again in zip(cpu, cuda, again):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got_again, want, rtol=1e-4, atol=1e-5)
    assert executed == 3 and len(frontend.executed) == 3
    assert sum("disagreed" in str(w.message) for w in caught) == 3


def test_enabled_false_and_tf32_off_are_obeyed(frontend):
    cudnn_settings.enabled = False
    _conv_both_ways(*CASES[0])
    assert frontend.graphs == []
    cudnn_settings.enabled = True
    cudnn_settings.allow_tf32 = False
    _conv_both_ways(*CASES[0])
    assert all(("deselect_numeric_notes", (["TENSOR_CORE"],)) in g.calls for g in frontend.graphs)


def test_the_torch_alias_is_gradientes_cudnn_switches():
    with cudnn_settings.flags(enabled=False, allow_tf32=False):
        assert cudnn_settings.enabled is False and cudnn_settings.allow_tf32 is False
    assert cudnn_settings.enabled is True and cudnn_settings.allow_tf32 is True
    assert gradiente.backends.cudnn is cudnn_settings
