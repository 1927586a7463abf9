# ruff: noqa: E501
"""torch's strides and memory formats: ``stride()``, ``is_contiguous(memory_format)``,
``storage_offset()`` and ``as_strided`` on tensors whose NumPy memory is gradiente's own choice
(a convolution's channels-last result), ``channels_last`` conversions, and the ops that keep
a channels-last input's layout — each compared with the real torch."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradiente
from conftest import torch_and_gradiente_print

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _torch():
    return pytest.importorskip("torch")


_CONV_OUTPUT_GEOMETRY = """
import torch
torch.manual_seed(0)
c = torch.nn.Conv2d(3, 4, 3)
y = c(torch.randn(2, 3, 8, 8))
print(y.stride(), y.is_contiguous(), y.storage_offset())
print(y.as_strided((2, 3), (1, 2)))
print(y.as_strided((2, 2), (5, 7), 3).sum().item() == y.contiguous().view(-1)[[3, 10, 8, 15]].sum().item())
r = torch.relu(y)
print(r.stride(), r.is_contiguous(), r.contiguous() is r)
print(r.flatten(1).stride(), r.view(2, -1).stride())
print(y.transpose(1, 2).stride(), y.transpose(1, 2).is_contiguous(), y[:, 1].stride(), y[:, 1].storage_offset())
print(y[:, :, ::2, 1:].stride(), y[:, :, ::2, 1:].storage_offset(), y.diagonal(0, 2, 3).stride())
print(torch.nn.functional.dropout(r, 0.5).sum())
print(torch.empty_like(y).stride(), y.unsqueeze(2).stride())
g = torch.ones(2, 3, requires_grad=True)
s = c(torch.randn(2, 3, 8, 8)).as_strided((2, 3), (1, 2))
(s * torch.arange(6.).view(2, 3)).sum().backward()
print(c.weight.grad.sum())
"""


def test_conv_output_reports_torchs_strides_and_as_strided_reads_torchs_storage():
    theirs, ours = torch_and_gradiente_print(_CONV_OUTPUT_GEOMETRY)
    assert ours == theirs


_CONVERSIONS = """
import torch
y = torch.randn(2, 3, 4, 5)
for f in [lambda: torch.empty(2, 3, 4, 5, memory_format=torch.channels_last).stride(),
          lambda: torch.empty(2, 3, memory_format=torch.channels_last),
          lambda: torch.empty_like(y, memory_format=torch.channels_last).stride(),
          lambda: torch.zeros_like(y, memory_format=torch.channels_last).stride(),
          lambda: torch.rand_like(y, memory_format=torch.channels_last).stride(),
          lambda: torch.ones_like(torch.randn(2, 3), memory_format=torch.channels_last),
          lambda: y.clone(memory_format=torch.channels_last).stride(),
          lambda: y.to(memory_format=torch.channels_last_3d),
          lambda: torch.randn(1, 2, 3, 4, 5).to(memory_format=torch.channels_last_3d).stride(),
          lambda: y.transpose(1, 3).contiguous(memory_format=torch.contiguous_format).stride(),
          lambda: y.transpose(1, 3).contiguous(memory_format=torch.preserve_format),
          lambda: y.transpose(1, 3).to(memory_format=torch.contiguous_format).stride(),
          lambda: y.to(memory_format=torch.channels_last).is_contiguous(memory_format=torch.channels_last_3d),
          lambda: y.permute(0, 2, 3, 1).is_contiguous(memory_format=torch.channels_last),
          lambda: y.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).is_contiguous(memory_format=torch.channels_last),
          lambda: torch.randn(2, 1, 4, 1).is_contiguous(memory_format=torch.channels_last),
          lambda: torch.randn(2, 3).is_contiguous(memory_format=torch.channels_last),
          lambda: y.contiguous(memory_format=torch.channels_last).contiguous().stride(),
          lambda: y.clone(memory_format=torch.contiguous_format).data_ptr() != y.data_ptr(),
          lambda: torch.tensor(3.0).clone(memory_format=torch.contiguous_format).shape]:
    try:
        print(f())
    except Exception as e:
        print(type(e).__name__, e)
x = y.requires_grad_()
z = x.to(memory_format=torch.channels_last)
print(z.grad_fn.name(), z.to(memory_format=torch.channels_last) is z, x.contiguous(memory_format=torch.channels_last).grad_fn.name())
(z * torch.arange(120.).view(2, 3, 4, 5)).sum().backward()
print(x.grad.stride(), x.grad[1, 2])
torch.manual_seed(0)
print(torch.rand_like(y, memory_format=torch.channels_last)[0, :, 0, 0])
"""


def test_channels_last_conversions_as_torch():
    theirs, ours = torch_and_gradiente_print(_CONVERSIONS)
    assert ours == theirs


_LAYERS = """
import torch, torch.nn.functional as F
torch.manual_seed(0)
x = torch.randn(2, 4, 6, 6).to(memory_format=torch.channels_last)
w = torch.randn(3, 4, 3, 3)
def fmt(t):
    if t.is_contiguous(memory_format=torch.channels_last) and not t.is_contiguous():
        return "CL"
    return "C" if t.is_contiguous() else str(t.stride())
tests = {
 "conv2d": lambda: F.conv2d(x, w), "conv_w_cl": lambda: F.conv2d(x.contiguous(), w.to(memory_format=torch.channels_last)),
 "convT": lambda: F.conv_transpose2d(x, torch.randn(4, 2, 2, 2)),
 "maxpool": lambda: F.max_pool2d(x, 2), "maxpool_idx": lambda: F.max_pool2d(x, 2, return_indices=True)[1],
 "avgpool": lambda: F.avg_pool2d(x, 2), "aap1": lambda: F.adaptive_avg_pool2d(x, 1), "aap3": lambda: F.adaptive_avg_pool2d(x, (3, 2)),
 "amp3": lambda: F.adaptive_max_pool2d(x, 3), "amp3i": lambda: F.adaptive_max_pool2d(x, 3, True)[1],
 "bn": lambda: F.batch_norm(x, None, None, training=True), "bn_eval": lambda: F.batch_norm(x, torch.zeros(4), torch.ones(4)),
 "gn": lambda: F.group_norm(x, 2), "in": lambda: F.instance_norm(x), "ln": lambda: F.layer_norm(x, [6]),
 "nearest": lambda: F.interpolate(x, scale_factor=2), "bilinear": lambda: F.interpolate(x, size=(5, 7), mode="bilinear"),
 "bicubic": lambda: F.interpolate(x, scale_factor=2, mode="bicubic"), "area": lambda: F.interpolate(x, size=3, mode="area"),
 "pad_const": lambda: F.pad(x, (1, 1, 1, 1)), "pad_refl": lambda: F.pad(x, (1, 1, 1, 1), mode="reflect"),
 "pad_repl": lambda: F.pad(x, (1, 1, 1, 1), mode="replicate"), "pad_circ": lambda: F.pad(x, (1, 1, 1, 1), mode="circular"),
 "softmax1": lambda: F.softmax(x, 1), "logsoftmax1": lambda: F.log_softmax(x, 1),
 "dropout": lambda: F.dropout(x, 0.5), "dropout2d": lambda: F.dropout2d(x, 0.5), "relu": lambda: F.relu(x),
 "gelu": lambda: F.gelu(x), "prelu": lambda: F.prelu(x, torch.ones(4)), "hardswish": lambda: F.hardswish(x),
 "add_c": lambda: x + torch.randn(2, 4, 6, 6), "add_bias": lambda: x + torch.randn(4, 1, 1),
 "cat1": lambda: torch.cat([x, x], 1), "cat_mixed": lambda: torch.cat([x.contiguous(), x], 1),
 "clone": lambda: x.clone(), "float64": lambda: x.double(), "clamp": lambda: x.clamp(0, 1),
 "pixel_shuffle": lambda: F.pixel_shuffle(torch.randn(2, 8, 3, 3).to(memory_format=torch.channels_last), 2),
 "sum1keep": lambda: x.sum(1, keepdim=True), "where": lambda: torch.where(x > 0, x, 0.0),
 "lpool": lambda: F.lp_pool2d(x, 2, 2), "unfold": lambda: F.unfold(x, 2), "randn_like": lambda: torch.randn_like(x),
 "maxunpool": lambda: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
 "channel_shuffle": lambda: F.channel_shuffle(x, 2), "flatten": lambda: x.flatten(1),
}
for k, f in tests.items():
    print(k, fmt(f()))
print(F.dropout(x, 0.5).sum())
try:
    F.max_pool2d(x, 2).view(2, -1)
except RuntimeError as e:
    print("view:", e)
net = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3, padding=1), torch.nn.BatchNorm2d(8),
                          torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.MaxPool2d(2),
                          torch.nn.Conv2d(8, 4, 3), torch.nn.AdaptiveAvgPool2d(1),
                          torch.nn.Flatten(), torch.nn.Linear(4, 2)).to(memory_format=torch.channels_last)
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for step in range(3):
    loss = net(x).square().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.5g}", net[0].weight.grad.stride(), net[0].weight.stride(), net[0].bias.stride())
"""


def test_ops_keep_a_channels_last_input_layout_as_torch():
    theirs, ours = torch_and_gradiente_print(_LAYERS)
    assert ours == theirs


# ------------------------------------------------------------------ random views of conv output
_VIEWS = st.lists(
    st.sampled_from(["transpose", "permute", "slice", "select", "unsqueeze", "narrow", "diag"]),
    max_size=4,
)


def _apply_view(t, op, draw_int):
    """One view op on ``t`` (either framework), its arguments from ``draw_int(n)`` in [0, n)."""
    if op == "transpose" and t.ndim >= 2:
        return t.transpose(draw_int(t.ndim), draw_int(t.ndim))
    if op == "permute":
        order = list(range(t.ndim))
        if t.ndim >= 2:
            i, j = draw_int(t.ndim), draw_int(t.ndim)
            order[i], order[j] = order[j], order[i]
        return t.permute(*order)
    if op == "slice" and t.ndim:
        d = draw_int(t.ndim)
        n = t.shape[d]
        start, step = draw_int(max(n, 1)), 1 + draw_int(3)
        return t.narrow(d, 0, n)[(slice(None),) * d + (slice(start, None, step),)]
    if op == "select" and t.ndim > 1:
        d = draw_int(t.ndim)
        return t.select(d, draw_int(t.shape[d])) if t.shape[d] else t
    if op == "unsqueeze":
        return t.unsqueeze(draw_int(t.ndim + 1))
    if op == "narrow" and t.ndim:
        d = draw_int(t.ndim)
        n = t.shape[d]
        length = draw_int(n + 1)
        return t.narrow(d, draw_int(n - length + 1), length)
    if op == "diag" and t.ndim >= 2:
        return t.diagonal(0, t.ndim - 2, t.ndim - 1)
    return t


@settings(max_examples=150, deadline=None)
@given(views=_VIEWS, seed=st.integers(0, 2**16), channels_last=st.booleans())
def test_views_of_conv_output_have_torchs_geometry(views, seed, channels_last):
    torch = _torch()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    tx, gx = torch.from_numpy(x), gradiente.tensor(x)
    if channels_last:
        tx = tx.to(memory_format=torch.channels_last)
        gx = gx.to(memory_format=gradiente.channels_last)
    ts = torch.nn.functional.conv2d(tx, torch.from_numpy(w))
    gs = gradiente.nn.functional.conv2d(gx, gradiente.tensor(w))
    draws = list(rng.integers(0, 2**16, size=4 * len(views) + 8))

    def draw_int(n):
        return int(draws.pop()) % n if n > 0 else 0

    for op in views:
        saved = list(draws)
        ts = _apply_view(ts, op, draw_int)
        draws[:] = saved
        gs = _apply_view(gs, op, draw_int)
    assert gs.shape == tuple(ts.shape)
    # the stride of a dim of size 1 says nothing about where elements are, and NumPy does not
    # keep torch's for it through reshapes: every other stride is torch's, and so is the
    # storage offset, for a view that has elements
    # (NumPy recomputes every stride of an empty array)
    if ts.numel():
        sized = [d for d, n in enumerate(ts.shape) if n > 1]
        assert [gs.stride(d) for d in sized] == [ts.stride(d) for d in sized]
        assert gs.storage_offset() == ts.storage_offset()
    assert gs.is_contiguous() == ts.is_contiguous()
    cl = gradiente.channels_last
    assert gs.is_contiguous(memory_format=cl) == ts.is_contiguous(memory_format=torch.channels_last)
    # as_strided reads torch's storage: the root's elements in torch's order
    size, stride = (2, 3), (1 + draw_int(4), 1 + draw_int(7))
    ta = ts.as_strided(size, stride, draw_int(20))
    ga = gs.as_strided(size, stride, ta.storage_offset())
    np.testing.assert_array_equal(ga.numpy(), ta.numpy())


_SIZE_ONE_AND_EMPTY_STRIDES = """
import torch
x = torch.randn(2, 3, 4)
cases = {
 "unsq0": x.unsqueeze(0), "unsq-1": x.unsqueeze(-1), "slice1_unsq": x[:1].unsqueeze(0),
 "t_unsq": x.transpose(0, 2).unsqueeze(1), "none_idx": x[None, :, None], "view": x.view(2, 1, 12),
 "expand": x[:, :1].expand(2, 5, 4), "narrow": x.narrow(1, 1, 1), "keepdim": x.sum(1, keepdim=True),
 "col_t": torch.randn(3, 1).t(), "bcast": x[:, :1] + x, "mT": torch.randn(2, 1, 3).mT,
 "empty": torch.empty(2, 0, 3), "empty_like": torch.zeros_like(torch.empty(0, 4)),
 "expand_new": torch.randn(3).expand(1, 3), "expand_new2": torch.randn(3).expand(1, 2, 3),
 "scalar_none": torch.tensor(1.0)[None, None],
}
for k, v in cases.items():
    print(k, v.stride(), v.is_contiguous())
"""


def test_size_one_and_empty_strides_as_torch():
    theirs, ours = torch_and_gradiente_print(_SIZE_ONE_AND_EMPTY_STRIDES)
    assert ours == theirs


_RANDOM_FILLS_OF_VIEWS = """
import torch
torch.manual_seed(0)
c = torch.nn.Conv2d(3, 4, 3)
with torch.no_grad():
    y = c(torch.randn(2, 3, 8, 8))
    torch.manual_seed(1)
    y[:, :2].normal_()
    print(y.sum())
    torch.manual_seed(2)
    y.transpose(1, 3).uniform_()
    print(y[0, 0, 0])
    z = c(torch.randn(2, 3, 8, 8)).relu()
    torch.manual_seed(3)
    print(torch.nn.functional.dropout(z[:, 1:], 0.5).sum(), torch.rand_like(z[:, :, ::2]).sum(), torch.rand_like(z.transpose(0, 1))[0, 0])
    w = torch.randn(2, 3, 4, 5).to(memory_format=torch.channels_last)
    torch.manual_seed(4)
    w[:, 1:].normal_()
    print(w[0, :, 0, 0])
"""


def test_random_fills_of_views_draw_in_torchs_memory_order():
    theirs, ours = torch_and_gradiente_print(_RANDOM_FILLS_OF_VIEWS)
    assert ours == theirs
