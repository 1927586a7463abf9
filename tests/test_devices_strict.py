"""The ops on CuPy's code path, proven on the CPU with the strict CuPy stand-in.

``backend.set_stand_in_cuda(1, strict=True)`` makes ``backend._cupy`` the module
``gradiente._cupy_standin``: device arrays wrap NumPy arrays and refuse what CuPy refuses
(``numpy.asarray`` of a device array, host arrays mixed into device operations). Each op runs
on the CPU and on "cuda"; values and gradients must be equal (the arithmetic is NumPy's in
both), every result must stay on the device, and no op may build its result on the host
(``backend.host_results``: a host-to-device copy per call on a GPU).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from gradiente import _cupy_standin as standin
from gradiente import backend as B
from gradiente import nn, optim
from gradiente.models.lenet import LeNet5


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1, strict=True)
    B.host_results.clear()
    yield
    B.set_stand_in_cuda(0)


def _inputs(shapes, seed=0, dtype=gradiente.float64):
    gen = np.random.default_rng(seed)
    return [gradiente.tensor(gen.standard_normal(s), dtype=dtype) for s in shapes]


def _check(fn, shapes, *, extra=(), tol=1e-12, dtype=gradiente.float64, seed=0):
    """fn(*inputs, *extra) on the CPU and on the strict stand-in: same values, same
    gradients of the inputs (upstream gradient random), results on the device."""
    results = {}
    for where in ("cpu", "cuda"):
        xs = [x.to(where).requires_grad_() for x in _inputs(shapes, seed, dtype)]
        moved = [e.to(where) if isinstance(e, gradiente.Tensor) else e for e in extra]
        out = fn(*xs, *moved)
        outs = out if isinstance(out, tuple) else (out,)
        for o in outs:
            assert o.device == gradiente.device(where) or o.device.type == where
        main = outs[0]
        upstream = gradiente.tensor(
            np.random.default_rng(seed + 1).standard_normal(tuple(main.shape)), dtype=main.dtype
        ).to(where)
        if main.requires_grad:
            (main * upstream).sum().backward()
        results[where] = (
            [o.detach().cpu().numpy() for o in outs],
            [None if x.grad is None else x.grad.cpu().numpy() for x in xs],
            [None if x.grad is None else x.grad.device.type for x in xs],
        )
    (cpu_out, cpu_grads, _), (dev_out, dev_grads, dev_where) = results["cpu"], results["cuda"]
    for a, b in zip(cpu_out, dev_out):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)
    for a, b, w in zip(cpu_grads, dev_grads, dev_where):
        assert (a is None) == (b is None)
        if a is not None:
            assert w == "cuda"
            np.testing.assert_allclose(b, a, rtol=tol, atol=tol)
    assert not B.host_results, f"ops built results on the host: {sorted(B.host_results)}"


def test_the_stand_in_refuses_what_cupy_refuses():
    a = standin.asarray(np.arange(3.0))
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Unsupported type"):
        a + np.ones(3)
    with pytest.raises(TypeError, match="Unsupported type"):
        np.ones(3) * a
    with pytest.raises(TypeError, match="Unsupported type"):
        np.concatenate([a, np.ones(1)])
    with pytest.raises(TypeError, match="Unsupported type"):
        a + np.array(1.0)  # a 0-d host array is a host array too
    with pytest.raises(TypeError):
        np.add.at(a, [0, 0], 1.0)
    b = a * np.float32(2) + 1  # NumPy and Python scalars mix freely
    assert isinstance(b, standin.ndarray) and b.get().tolist() == [1.0, 3.0, 5.0]
    s = np.sum(b)  # NumPy's functions dispatch; a reduction is a 0-d array, not a scalar
    assert isinstance(s, standin.ndarray) and s.shape == () and float(s) == 9.0
    standin.scatter_add(b, standin.asarray(np.array([0, 0])), 1.0)
    assert b.get().tolist() == [3.0, 3.0, 5.0]


@pytest.mark.parametrize(
    "name,fn,shapes",
    [
        ("add-broadcast", lambda a, b: a + b * 2.5 - 1, [(3, 4), (4,)]),
        ("mul-div", lambda a, b: a * b / (b.abs() + 1), [(3, 4), (3, 4)]),
        ("pow-exp-log", lambda a: (a.abs() + 0.5).log() + a.exp() + a**2, [(5,)]),
        ("tanh-sigmoid", lambda a: a.tanh() * a.sigmoid(), [(2, 3)]),
        ("sqrt-clamp", lambda a: (a.abs() + 1).sqrt().clamp(1.1, 1.5), [(4, 4)]),
        (
            "where-max",
            lambda a, b: gradiente.where(a > b, a, b) + gradiente.maximum(a, b),
            [(6,), (6,)],
        ),
        ("sum-mean", lambda a: a.sum(1) + a.mean(1) + a.sum(), [(3, 5)]),
        ("max-min", lambda a: a.max(1).values + a.amin(0).sum() + a.max(), [(3, 5)]),
        ("var-std", lambda a: a.var(0) + a.std(0, keepdim=True).squeeze(0), [(4, 3)]),
        ("logsumexp", lambda a: a.logsumexp(1), [(3, 5)]),
        ("matmul", lambda a, b: a @ b, [(3, 4), (4, 2)]),
        ("bmm", lambda a, b: gradiente.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
        ("linear", lambda x, w, b: F.linear(x, w, b), [(5, 4), (3, 4), (3,)]),
        ("relu", lambda a: F.relu(a), [(4, 5)]),
        ("gelu-silu", lambda a: F.gelu(a) + F.silu(a), [(4, 5)]),
        ("leaky-elu", lambda a: F.leaky_relu(a, 0.1) + F.elu(a), [(4, 5)]),
        ("softmax", lambda a: F.softmax(a, dim=1), [(4, 5)]),
        ("log_softmax", lambda a: F.log_softmax(a, dim=-1), [(4, 5)]),
        ("mse", lambda a, b: F.mse_loss(a, b), [(4, 5), (4, 5)]),
        ("l1-smooth", lambda a, b: F.l1_loss(a, b) + F.smooth_l1_loss(a, b), [(4, 5), (4, 5)]),
        (
            "bce-logits",
            lambda a, b: F.binary_cross_entropy_with_logits(a, b.sigmoid()),
            [(4, 5), (4, 5)],
        ),
        ("reshape-permute", lambda a: a.reshape(2, 6).t().permute(1, 0).flatten(), [(3, 4)]),
        (
            "cat-stack",
            lambda a, b: gradiente.cat([a, b], 0) * gradiente.stack([a, b]).sum(0).repeat(2, 1),
            [(2, 3), (2, 3)],
        ),
        ("slicing", lambda a: a[1:, ::2] * 2 + a[0, 1], [(3, 4)]),
        ("split-chunk", lambda a: a.split(2, dim=1)[1] + a.chunk(2, dim=1)[0], [(3, 4)]),
        ("unsqueeze-expand", lambda a: a.unsqueeze(1).expand(3, 2, 4) * 2, [(3, 4)]),
        ("cumsum-flip", lambda a: a.cumsum(1).flip(0), [(3, 4)]),
        ("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
        ("norm", lambda a: a.norm() + a.norm(dim=1).sum(), [(3, 4)]),
    ],
)
def test_op_on_the_strict_stand_in_equals_the_cpu(cuda, name, fn, shapes):
    _check(fn, shapes)


def test_indexing_gather_scatter(cuda):
    index = gradiente.tensor([[0, 2], [1, 1], [3, 0]])
    _check(lambda a, i: a.gather(1, i), [(3, 4)], extra=(index,))
    _check(
        lambda a, i: gradiente.zeros(3, 4, dtype=a.dtype, device=a.device).scatter_add(
            1, i, a[:, :2]
        ),
        [(3, 4)],
        extra=(index,),
    )
    rows = gradiente.tensor([2, 0, 2])
    _check(lambda a, i: a[i] * 3, [(3, 4)], extra=(rows,))
    _check(lambda a, i: a.index_select(0, i), [(3, 4)], extra=(rows,))
    _check(lambda a: a[a > 0].sum() + a.masked_fill(a < 0, 0.5).sum(), [(3, 4)])
    _check(lambda a, i: F.embedding(i, a), [(5, 3)], extra=(rows,))


@pytest.mark.parametrize(
    "stride,padding,groups,dilation", [(1, 0, 1, 1), (2, 1, 1, 1), (1, 1, 2, 1), (1, 2, 1, 2)]
)
def test_conv2d_forward_and_backward(cuda, stride, padding, groups, dilation):
    _check(
        lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
        [(2, 4, 7, 7), (6, 4 // groups, 3, 3), (6,)],
        tol=1e-10,
    )


def test_pooling_and_normalization(cuda):
    _check(lambda x: F.max_pool2d(x, 2), [(2, 3, 6, 6)])
    _check(lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [(2, 3, 7, 7)])
    _check(lambda x: F.avg_pool2d(x, 2), [(2, 3, 6, 6)])
    _check(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), [(2, 3, 7, 7)])
    _check(
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(4, 3, 2, 2), (3,), (3,)]
    )
    _check(lambda x, w, b: F.group_norm(x, 1, w, b), [(4, 3, 2, 2), (3,), (3,)])


def test_cross_entropy_and_nll(cuda):
    target = gradiente.tensor([0, 3, 1, 4])
    _check(lambda a, t: F.cross_entropy(a, t), [(4, 5)], extra=(target,))
    _check(lambda a, t: F.cross_entropy(a, t, label_smoothing=0.1), [(4, 5)], extra=(target,))
    _check(lambda a, t: F.nll_loss(F.log_softmax(a, 1), t), [(4, 5)], extra=(target,))


def test_float32_ops(cuda):
    _check(
        lambda x, w: F.conv2d(x, w, padding=1).relu().sum((2, 3)),
        [(2, 3, 5, 5), (4, 3, 3, 3)],
        dtype=gradiente.float32,
        tol=1e-5,
    )
    _check(lambda a, b: F.softmax(a @ b, 1), [(3, 4), (4, 5)], dtype=gradiente.float32, tol=1e-6)


def test_dropout_on_the_device(cuda):
    x = gradiente.ones(1000, device="cuda", requires_grad=True)
    gradiente.manual_seed(0)
    y = F.dropout(x, 0.25)
    y.sum().backward()
    kept = (y != 0).float().mean().item()
    assert str(y.device) == "cuda:0" and 0.65 < kept < 0.85
    assert set(y.detach().cpu().numpy().tolist()) - {0.0} == {np.float32(1 / 0.75)}
    assert str(x.grad.device) == "cuda:0"
    gradiente.manual_seed(0)
    np.testing.assert_array_equal(
        F.dropout(x.detach().cpu(), 0.25).numpy(), y.detach().cpu().numpy()
    )


def _lenet_losses(where, make_optimizer, steps=3):
    gradiente.manual_seed(0)
    model = LeNet5()  # the zoo's LeNet-5 (1×28×28, 10 classes)
    optimizer = make_optimizer(model.parameters())
    model.to(where)
    x = gradiente.randn(8, 1, 28, 28).to(where)
    y = gradiente.randint(0, 10, (8,)).to(where)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, [p.detach().cpu().numpy() for p in model.parameters()]


@pytest.mark.parametrize(
    "make, atol",
    [
        (lambda ps: optim.SGD(ps, 0.05, momentum=0.9), 1e-5),
        # Adam divides by sqrt(v): a weight whose gradients are near 0 moves by about lr·m/|m|
        # whatever their size, so a last-ulp difference in such a gradient can move it by a
        # good part of lr (1e-3) over three steps
        (lambda ps: optim.Adam(ps, 1e-3), 2e-4),
    ],
    ids=["sgd", "adam"],
)
def test_lenet_training_on_the_strict_stand_in_matches_the_cpu(cuda, make, atol):
    cpu_losses, cpu_params = _lenet_losses("cpu", make)
    dev_losses, dev_params = _lenet_losses("cuda", make)
    # float32: the device convolution sums in another order than the CPU's (1 ulp per step)
    np.testing.assert_allclose(dev_losses, cpu_losses, rtol=1e-5)
    for a, b in zip(cpu_params, dev_params):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=atol)
    assert not B.host_results, f"ops built results on the host: {sorted(B.host_results)}"


def test_mixing_devices_raises_torchs_error(cuda):
    a = gradiente.ones(3, device="cuda")
    b = gradiente.ones(3)
    message = (
        "Expected all tensors to be on the same device, but found at least two devices, "
        "cuda:0 and cpu!"
    )
    with pytest.raises(RuntimeError, match=message):
        a + b
    with pytest.raises(RuntimeError, match=message):
        F.linear(a, gradiente.ones(2, 3))
    assert str((a + gradiente.tensor(2.0)).device) == "cuda:0"  # a 0-d CPU tensor mixes in
    assert str((a * 2).device) == "cuda:0"


def test_cuda_api_on_the_strict_stand_in():
    B.set_stand_in_cuda(2, strict=True)
    try:
        assert gradiente.cuda.is_available() and gradiente.cuda.device_count() == 2
        assert "stand-in" in gradiente.cuda.get_device_name(1)
        with gradiente.cuda.device(1):
            assert gradiente.cuda.current_device() == 1
            assert str(gradiente.ones(2, device="cuda").device) == "cuda:1"
        assert gradiente.cuda.current_device() == 0
        x = gradiente.ones(2, device="cuda:1")
        assert type(x._data) is standin.ndarray and x._data.device.id == 1
        assert x.to("cuda:0")._data.device.id == 0
        start, end = (
            gradiente.cuda.Event(enable_timing=True),
            gradiente.cuda.Event(enable_timing=True),
        )
        start.record()
        gradiente.cuda.synchronize()
        end.record()
        end.synchronize()
        assert start.elapsed_time(end) >= 0.0
        s = gradiente.cuda.Stream()
        with gradiente.cuda.stream(s):
            y = x * 2
        s.synchronize()
        assert y.tolist() == [2.0, 2.0] and gradiente.cuda.memory_allocated() == 0
        with pytest.raises(TypeError, match="can't convert cuda:1 device type tensor to numpy"):
            x.numpy()
        with pytest.raises(TypeError, match="bfloat16"):
            gradiente.ones(2, dtype=gradiente.bfloat16).to("cuda")
    finally:
        B.set_stand_in_cuda(0)


# ---------------------------------------------------------------------------------------------
# More of the library on CuPy's path: convolutions and pooling beyond conv2d, recurrent layers,
# optimizers, schedulers, gradient clipping, initialisation, checkpoints, pinned batches
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 1, 1), (1, 2, 2, 1), (1, 1, 1, 2)]
)
def test_conv1d_forward_and_backward(cuda, stride, padding, dilation, groups):
    _check(
        lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups),
        [(2, 4, 9), (6, 4 // groups, 3), (6,)],
        tol=1e-10,
    )


@pytest.mark.parametrize(
    "stride,padding,output_padding,groups,dilation",
    [(1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (2, 0, 0, 2, 1), (1, 1, 0, 1, 2), (3, 2, 2, 1, 1)],
)
def test_conv_transpose2d_forward_and_backward(
    cuda, stride, padding, output_padding, groups, dilation
):
    _check(
        lambda x, w, b: F.conv_transpose2d(
            x, w, b, stride, padding, output_padding, groups, dilation
        ),
        [(2, 4, 5, 4), (4, 6 // groups, 3, 2), (6,)],
        tol=1e-10,
    )


@pytest.mark.parametrize(
    "stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 1, 1), (1, "same", 2, 1), (1, 1, 1, 2)]
)
def test_conv3d_forward_and_backward(cuda, stride, padding, dilation, groups):
    _check(
        lambda x, w, b: F.conv3d(x, w, b, stride, padding, dilation, groups),
        [(2, 4, 5, 6, 5), (4, 4 // groups, 2, 3, 2), (4,)],
        tol=1e-10,
    )


def test_adaptive_and_one_dimensional_pooling(cuda):
    _check(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [(2, 3, 7, 5)])  # overlapping windows
    _check(lambda x: F.adaptive_avg_pool2d(x, 1), [(2, 3, 6, 6)])  # regular windows
    _check(lambda x: F.adaptive_max_pool2d(x, (3, 2)), [(2, 3, 7, 5)])
    _check(lambda x: F.adaptive_max_pool2d(x, (3, 2), return_indices=True), [(2, 3, 6, 4)])
    _check(lambda x: F.adaptive_avg_pool1d(x, 3), [(2, 3, 7)])
    _check(lambda x: F.max_pool1d(x, 3, stride=2, padding=1), [(2, 3, 9)])
    _check(lambda x: F.avg_pool1d(x, 2), [(2, 3, 8)])
    _check(lambda x: F.max_pool2d(x, 2, return_indices=True), [(2, 3, 6, 6)])


@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_interpolate(cuda, mode, align):
    _check(lambda x: F.interpolate(x, size=(5, 7), mode=mode, align_corners=align), [(2, 3, 3, 4)])


def test_out_of_range_device_index_raises_torchs_error(cuda):
    x = gradiente.ones(3, 4, device="cuda")
    for index in ([0, 3], [-4, 1]):
        bad = gradiente.tensor(index, device="cuda")
        with pytest.raises(IndexError, match=f"index {index[1] if index[0] == 0 else -4} is out"):
            x[bad]
    assert x[gradiente.tensor([2, -3], device="cuda")].shape == (2, 4)


def test_recurrent_and_attention_layers(cuda):
    def run(where, make, *shapes):
        gradiente.manual_seed(0)
        layer = make().double().to(where)
        inputs = [x.to(where) for x in _inputs(shapes)]
        out = layer(*inputs)
        out = out[0] if isinstance(out, tuple) else out
        out.sum().backward()
        return out.detach().cpu().numpy(), [p.grad.cpu().numpy() for p in layer.parameters()]

    layers = [
        (lambda: nn.LSTM(3, 4, num_layers=2), [(5, 2, 3)]),
        (lambda: nn.GRU(3, 4, batch_first=True), [(2, 5, 3)]),
        (lambda: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), [(3, 2, 4)]),
    ]
    for make, shapes in layers:
        (out, grads), (dev_out, dev_grads) = run("cpu", make, *shapes), run("cuda", make, *shapes)
        np.testing.assert_allclose(dev_out, out, rtol=1e-12, atol=1e-12)
        for a, b in zip(grads, dev_grads):
            np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    assert not B.host_results, f"ops built results on the host: {sorted(B.host_results)}"


OPTIMIZERS = {
    "sgd-momentum": lambda ps: optim.SGD(ps, 0.05, momentum=0.9, weight_decay=1e-3),
    "nesterov": lambda ps: optim.SGD(ps, 0.05, momentum=0.9, nesterov=True),
    "adam": lambda ps: optim.Adam(ps, 1e-2, weight_decay=1e-3),
    "amsgrad": lambda ps: optim.Adam(ps, 1e-2, amsgrad=True),
    "adamw": lambda ps: optim.AdamW(ps, 1e-2),
    "rmsprop": lambda ps: optim.RMSprop(ps, 1e-2, momentum=0.5, centered=True),
    "adagrad": lambda ps: optim.Adagrad(ps, 1e-1),
}


def _mlp_run(where, make_optimizer, steps, state=None, schedule=False):
    """A small MLP trained on ``where`` (float32): losses, parameters and optimizer state."""
    gradiente.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).to(where)
    optimizer = make_optimizer(model.parameters())
    scheduler = optim.lr_scheduler.StepLR(optimizer, 2, gamma=0.5) if schedule else None
    if state is not None:
        model.load_state_dict(state[0])
        optimizer.load_state_dict(state[1])
    x = gradiente.randn(16, 4).to(where)
    y = gradiente.randint(0, 3, (16,)).to(where)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
    return losses, model, optimizer


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizers_clipping_and_schedules_match_the_cpu(cuda, name):
    make = OPTIMIZERS[name]
    cpu_losses, cpu_model, cpu_opt = _mlp_run("cpu", make, 4, schedule=True)
    dev_losses, dev_model, dev_opt = _mlp_run("cuda", make, 4, schedule=True)
    np.testing.assert_allclose(dev_losses, cpu_losses, rtol=1e-5)
    for a, b in zip(cpu_model.parameters(), dev_model.parameters()):
        np.testing.assert_allclose(b.detach().cpu().numpy(), a.detach().numpy(), atol=1e-5)
    assert dev_opt.param_groups[0]["lr"] == cpu_opt.param_groups[0]["lr"]
    for state in dev_opt.state.values():  # the state was created on the parameters' device
        for value in state.values():
            if isinstance(value, gradiente.Tensor) and value.ndim:
                assert str(value.device) == "cuda:0"
    assert not B.host_results, f"ops built results on the host: {sorted(B.host_results)}"


@pytest.mark.parametrize("first,second", [("cuda", "cpu"), ("cpu", "cuda")])
def test_optimizer_state_moves_with_load_state_dict(cuda, first, second):
    """Two steps on one device, then the saved state resumes on the other: the same run."""
    make = OPTIMIZERS["adam"]
    whole, _, _ = _mlp_run("cpu", make, 4)
    _, model, optimizer = _mlp_run(first, make, 2)
    state = (model.state_dict(), optimizer.state_dict())
    rest, _, resumed = _mlp_run(second, make, 2, state=state)
    np.testing.assert_allclose(rest, whole[2:], rtol=1e-5)
    for value in resumed.state.values():
        assert value["exp_avg"].device.type == second


def test_init_on_device_parameters(cuda):
    for fill in (
        lambda t: nn.init.kaiming_uniform_(t, a=5**0.5),
        nn.init.xavier_normal_,
        lambda t: nn.init.normal_(t, 0.0, 0.02),
        lambda t: nn.init.trunc_normal_(t, std=0.02),
        nn.init.orthogonal_,
        nn.init.zeros_,
    ):
        values = []
        for where in ("cpu", "cuda"):
            weight = nn.Parameter(gradiente.empty(4, 6, device=where))
            gradiente.manual_seed(3)
            fill(weight)
            assert weight.device.type == where
            values.append(weight.detach().cpu().numpy())
        np.testing.assert_allclose(values[1], values[0], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("map_location", [None, "cpu", "cuda", "cuda:1"])
def test_save_and_load_across_devices(tmp_path, map_location):
    B.set_stand_in_cuda(2)
    try:
        gradiente.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to("cuda:1")
        gradiente.save(model.state_dict(), tmp_path / "model.pt")
        state = gradiente.load(tmp_path / "model.pt", map_location=map_location)
        # torch would put a CUDA tensor back on its GPU; gradiente's file holds host data and
        # loads on the CPU unless map_location names a device (see the README)
        expected = {None: "cpu", "cpu": "cpu", "cuda": "cuda:0", "cuda:1": "cuda:1"}[map_location]
        for key, value in model.state_dict().items():
            assert str(state[key].device) == expected
            np.testing.assert_array_equal(state[key].cpu().numpy(), value.detach().cpu().numpy())
        fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to("cuda")
        fresh.load_state_dict(state)  # any device's tensors load into a CUDA model
        assert str(fresh[0].weight.device) == "cuda:0"
        x = gradiente.randn(5, 3)
        with gradiente.no_grad():
            got, want = fresh.eval()(x.to("cuda")), model.eval()(x.to("cuda:1"))
        np.testing.assert_array_equal(got.cpu().numpy(), want.cpu().numpy())
    finally:
        B.set_stand_in_cuda(0)


def test_pinned_batches_moved_without_blocking(cuda):
    data = gradiente.utils.data.TensorDataset(
        gradiente.arange(24.0).reshape(12, 2), gradiente.arange(12)
    )
    loader = gradiente.utils.data.DataLoader(data, batch_size=5, pin_memory=True)
    seen = []
    for x, y in loader:
        assert x.is_pinned() and y.is_pinned()
        x, y = x.to("cuda", non_blocking=True), y.to("cuda", non_blocking=True)
        assert str(x.device) == "cuda:0" and type(x._data) is standin.ndarray
        seen.append((x * 2).sum(1).cpu().numpy() + y.cpu().numpy())
    expected = (np.arange(24.0).reshape(12, 2) * 2).sum(1) + np.arange(12)
    np.testing.assert_array_equal(np.concatenate(seen), expected)


PROBE = """\
import runpy, sys
import torch
from gradiente import backend
moved = []
to = torch.nn.Module.to
torch.nn.Module.to = lambda self, *a, **k: moved.append(str(a[0] if a else k)) or to(self, *a, **k)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
print("moved to", moved, "host results", sorted(backend.host_results))
"""


def test_a_real_pytorch_program_runs_on_the_stand_in_gpu(tmp_path):
    """tests/programs' MNIST example (``device = "cuda" if torch.cuda.is_available()``,
    ``model.to(device)``, pinned loader with a worker) under ``gradiente run``: on the stand-in
    GPU it prints the CPU run's numbers."""
    import pathlib
    import re
    import subprocess
    import sys

    tests = pathlib.Path(__file__).resolve().parent
    mnist = tests.parents[1] / "shared" / "data" / "mnist"
    if not (mnist / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("needs ../shared/data/mnist")
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    script = tests / "programs" / "nn_scripts" / "mnist_example.py"
    args = ["--data-dir", str(mnist), "--epochs", "1", "--n-train", "64", "--n-test", "32"]
    args += ["--batch-size", "32", "--test-batch-size", "32"]
    outputs = {}
    for where, extra, fake in (("cpu", ["--no-accel"], "0"), ("cuda", [], "1")):
        env = {**os.environ, "GRADIENTE_FAKE_CUDA": fake, "OMP_WAIT_POLICY": "PASSIVE"}
        command = [sys.executable, "-m", "gradiente", "run", str(probe), str(script)]
        done = subprocess.run(
            command + args + extra, capture_output=True, text=True, env=env, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        outputs[where] = done.stdout.splitlines()
    assert outputs["cuda"][-1] == "moved to ['cuda'] host results []"
    assert outputs["cpu"][-1] == "moved to ['cpu'] host results []"
    number = r"[-+]?\d+\.?\d*(?:e[-+]?\d+)?"
    assert len(outputs["cuda"]) == len(outputs["cpu"]) > 5
    for cpu_line, cuda_line in zip(outputs["cpu"][:-1], outputs["cuda"][:-1]):
        assert re.sub(number, "#", cuda_line) == re.sub(number, "#", cpu_line)
        np.testing.assert_allclose(
            [float(v) for v in re.findall(number, cuda_line)],
            [float(v) for v in re.findall(number, cpu_line)],
            rtol=1e-4,
        )
