"""Hunt 7 findings (computer-vision course programs), each checked against torch 2.13,
the real torchvision 0.28 and the installed Pillow."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest
from PIL import Image

import gradiente
from conftest import real_torchvision
from gradiente import transforms as T
from gradiente.vision import functional as TF

torch = pytest.importorskip("torch")

PIL_FILTER = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}


def _pil(h, w, mode, seed):
    rng = np.random.RandomState(seed)
    if mode == "F":
        return Image.fromarray((rng.rand(h, w) * 255).astype(np.float32))
    shape = (h, w) if mode == "L" else (h, w, len(mode))
    return Image.fromarray(rng.randint(0, 256, shape, dtype=np.uint8))


def _sizes(n, seed):
    """n random (in size, out size) pairs where both height and width change."""
    rng = np.random.RandomState(seed)
    out = []
    while len(out) < n:
        h, w, oh, ow = (int(v) for v in rng.randint(2, 70, 4))
        if oh != h and ow != w:
            out.append(((h, w), (oh, ow)))
    return out


# ---------------------------------------------------------------------------------------------
# 1. PIL resize: Pillow's own result (Pillow 13 chooses the pass order)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("image_mode", ["L", "RGB", "RGBA", "F"])
def test_pil_resize_sweep_is_pillow_bit_for_bit(mode, image_mode):
    mismatches = []
    for k, ((h, w), size) in enumerate(_sizes(60, seed=len(image_mode) + 10 * len(mode))):
        img = _pil(h, w, image_mode, seed=k)
        expected = np.asarray(img.resize(size[::-1], PIL_FILTER[mode]))
        got = T.Resize(size, interpolation=mode)(img)
        assert isinstance(got, Image.Image) and got.mode == img.mode
        if not np.array_equal(np.asarray(got), expected):
            mismatches.append(((h, w), size))
    assert mismatches == []


def test_hunt_repro_35x33_to_32x32():
    rng = np.random.RandomState(0)
    img = Image.fromarray(rng.randint(0, 256, (35, 33, 3), dtype=np.uint8))
    sums = {}
    for mode in ("bilinear", "bicubic"):
        got = np.asarray(T.Resize((32, 32), interpolation=mode)(img)).astype(int)
        np.testing.assert_array_equal(got, np.asarray(img.resize((32, 32), PIL_FILTER[mode])))
        sums[mode] = int(got.sum())
    assert sums == {"bilinear": 388255, "bicubic": 388196}  # torch + torchvision's printout


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("image_mode", ["L", "RGB"])
def test_pil_resize_matches_real_torchvision(mode, image_mode):
    tv = real_torchvision()
    tv_mode = tv.transforms.InterpolationMode(mode)
    for k, ((h, w), size) in enumerate(_sizes(40, seed=7)):
        img = _pil(h, w, image_mode, seed=100 + k)
        expected = np.asarray(tv.transforms.Resize(size, interpolation=tv_mode)(img))
        np.testing.assert_array_equal(np.asarray(T.Resize(size, interpolation=mode)(img)), expected)
        got_fn = TF.resize(img, list(size), interpolation=T.InterpolationMode(mode))
        np.testing.assert_array_equal(np.asarray(got_fn), expected)
        # the shorter-edge form too
        expected = np.asarray(tv.transforms.Resize(size[0], interpolation=tv_mode)(img))
        np.testing.assert_array_equal(
            np.asarray(T.Resize(size[0], interpolation=mode)(img)), expected
        )


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_random_resized_crop_on_pil_matches_real_torchvision(mode):
    tv = real_torchvision()
    tv_mode = tv.transforms.InterpolationMode(mode)
    theirs = tv.transforms.RandomResizedCrop(32, interpolation=tv_mode)
    ours = T.RandomResizedCrop(32, interpolation=mode)
    torch.manual_seed(3)
    gradiente.manual_seed(3)
    for k in range(25):
        img = _pil(35 + k, 33 + 2 * k, "RGB", seed=k)
        expected = np.asarray(theirs(img))
        np.testing.assert_array_equal(np.asarray(ours(img)), expected)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_tensor_resize_still_matches_real_torchvision(mode):
    tv = real_torchvision()
    tv_mode = tv.transforms.InterpolationMode(mode)
    for k, ((h, w), size) in enumerate(_sizes(10, seed=11)):
        rng = np.random.RandomState(k)
        for a in (rng.randint(0, 256, (3, h, w)).astype(np.uint8), rng.rand(3, h, w).astype("f4")):
            expected = tv.transforms.Resize(size, interpolation=tv_mode)(torch.from_numpy(a))
            got = T.Resize(size, interpolation=mode)(gradiente.from_numpy(a))
            np.testing.assert_array_equal(got.numpy(), expected.numpy())


# ---------------------------------------------------------------------------------------------
# 2. float32 log10 / log2 as torch's: exact at powers of ten and two
# ---------------------------------------------------------------------------------------------


def _float32_sweep():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 0x7F800000, 200_000, dtype=np.int64).astype(np.uint32)
    powers = [10.0**t for t in range(-45, 39)] + [2.0**t for t in range(-149, 128)]
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, -1e-30, 1.0, 1e-45, 1.1754942e-38]
    extra = np.array(powers + special, dtype=np.float32)
    return np.concatenate([bits.view(np.float32), extra, -bits[:1000].view(np.float32)])


def _same(a, b):
    return (a == b) | (np.isnan(a) & np.isnan(b))


@pytest.mark.parametrize("name", ["log10", "log2"])
def test_float32_log10_log2_as_torch(name):
    x = _float32_sweep()
    with np.errstate(all="ignore"):
        got = getattr(gradiente, name)(gradiente.from_numpy(x)).numpy()
    expected = getattr(torch, name)(torch.from_numpy(x)).numpy()
    assert got.dtype == np.float32
    same = _same(got, expected)
    # torch's SLEEF kernels are 1-ulp accurate, not correctly rounded: a handful differ by 1 ulp
    assert same.mean() > 0.9995
    ulps = np.abs(got[~same].view(np.int32).astype(np.int64) - expected[~same].view(np.int32))
    assert ulps.max(initial=0) <= 1
    tail = slice(200_000, 200_000 + 84 + 277 + 10)  # the powers and special values: all exact
    np.testing.assert_array_equal(got[tail], expected[tail])


def test_floor_log10_at_powers_of_ten_and_psnr():
    x = [0.001, 1e-10, 100.0, 1000.0]
    got = gradiente.floor(gradiente.log10(gradiente.tensor(x)))
    assert got.tolist() == torch.floor(torch.log10(torch.tensor(x))).tolist() == [-3, -10, 2, 3]
    psnr = 10 * gradiente.log10(gradiente.tensor(1.0) / gradiente.tensor(0.01))
    assert psnr.item() == (10 * torch.log10(torch.tensor(1.0) / torch.tensor(0.01))).item()
    assert str(psnr) == "tensor(20.)"


def test_log10_log2_gradients_unchanged():
    for name in ("log10", "log2"):
        x = gradiente.tensor([0.5, 3.0, 100.0], dtype=gradiente.float64, requires_grad=True)
        assert gradiente.autograd.gradcheck(getattr(gradiente, name), (x,))
        xt = torch.tensor([0.5, 3.0, 100.0], requires_grad=True)
        getattr(torch, name)(xt).sum().backward()
        x32 = gradiente.tensor([0.5, 3.0, 100.0], requires_grad=True)
        getattr(gradiente, name)(x32).sum().backward()
        np.testing.assert_allclose(x32.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# 3. torch's errors: norm over >2 dims with "fro", histc/histogram of integers, F.unfold of a
#    2-D tensor, ConvTranspose2d's output_size, box_convert's formats
# ---------------------------------------------------------------------------------------------


def _error(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return type(e).__name__, str(e)
    return None


def _same_error(ours, theirs):
    expected = _error(theirs)
    assert expected is not None
    assert _error(ours) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(dim=(1, 2, 3)),
        dict(dim=[1, 2, 3], p="fro"),
        dict(dim=(-3, -2, -1), keepdim=True),
        dict(dim=(0, 1, 2, 3)),
    ],
)
def test_norm_fro_over_more_than_two_dims_raises(kwargs):
    g = np.random.RandomState(0).randn(2, 3, 4, 4).astype(np.float32)
    _same_error(
        lambda: gradiente.from_numpy(g).norm(**kwargs), lambda: torch.from_numpy(g).norm(**kwargs)
    )
    _same_error(
        lambda: gradiente.norm(gradiente.from_numpy(g), **kwargs),
        lambda: torch.norm(torch.from_numpy(g), **kwargs),
    )


def test_norm_over_three_dims_with_p2_or_none_still_works():
    g = np.random.RandomState(0).randn(2, 3, 4, 4).astype(np.float32)
    for p in (2, None):
        got = gradiente.from_numpy(g).norm(p=p, dim=(1, 2, 3)).numpy()
        np.testing.assert_allclose(got, torch.from_numpy(g).norm(p=p, dim=(1, 2, 3)), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "int64", "bool", "float64"])
def test_histc_histogram_dtype_errors(dtype):
    values = [0, 10, 100] if dtype != "bool" else [True, False, True]
    ours = gradiente.tensor(values).to(getattr(gradiente, dtype))
    theirs = torch.tensor(values).to(getattr(torch, dtype))
    if dtype != "float64":
        _same_error(
            lambda: gradiente.histc(ours, 4, 0, 100), lambda: torch.histc(theirs, 4, 0, 100)
        )
        _same_error(lambda: ours.histc(bins=4), lambda: theirs.histc(bins=4))
        _same_error(lambda: gradiente.histogram(ours, 4), lambda: torch.histogram(theirs, 4))
        _same_error(
            lambda: gradiente.histogram(ours, bins=gradiente.tensor([0, 1]).to(ours.dtype)),
            lambda: torch.histogram(theirs, bins=torch.tensor([0, 1]).to(theirs.dtype)),
        )
    _same_error(
        lambda: gradiente.histogram(ours, bins=gradiente.tensor([0.0, 1.0])),
        lambda: torch.histogram(theirs, bins=torch.tensor([0.0, 1.0])),
    )


def test_histc_of_float_images_unchanged():
    x = np.random.RandomState(0).rand(50).astype(np.float32)
    got = gradiente.histc(gradiente.from_numpy(x), bins=8, min=0, max=1)
    np.testing.assert_array_equal(got.numpy(), torch.histc(torch.from_numpy(x), 8, 0, 1).numpy())


@pytest.mark.parametrize("shape", [(3, 4), (4,)])
def test_unfold_of_low_rank_tensor_raises_index_error(shape):
    _same_error(
        lambda: gradiente.nn.functional.unfold(gradiente.zeros(*shape), 2),
        lambda: torch.nn.functional.unfold(torch.zeros(*shape), 2),
    )


@pytest.mark.parametrize("shape", [(1, 2, 4, 4), (2, 4, 4)])
def test_conv_transpose_output_size_error_prints_a_size(shape):
    def run(lib):
        lib.manual_seed(0)
        layer = lib.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
        return lambda: layer(lib.zeros(*shape), output_size=[10, 10])

    _same_error(run(gradiente), run(torch))


def test_box_convert_error_names_the_formats():
    tv = real_torchvision()
    from gradiente.vision import ops

    for fmts in (("xyxy", "abc"), ("abc", "cxcywh")):
        _same_error(
            lambda fmts=fmts: ops.box_convert(gradiente.zeros(1, 4), *fmts),
            lambda fmts=fmts: tv.ops.box_convert(torch.zeros(1, 4), *fmts),
        )


# ---------------------------------------------------------------------------------------------
# 5. fake_quantize_per_tensor_affine / per_channel_affine: values and straight-through gradient
# ---------------------------------------------------------------------------------------------


def _assert_bitwise(ours, theirs):
    ours, theirs = ours.detach().numpy(), theirs.detach().numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


def test_fake_quantize_hunt_example():
    x = [-1.0, 0.03, 0.5, 2.0]
    got = gradiente.fake_quantize_per_tensor_affine(gradiente.tensor(x), 0.1, 0, -128, 127)
    _assert_bitwise(got, torch.fake_quantize_per_tensor_affine(torch.tensor(x), 0.1, 0, -128, 127))
    xg = gradiente.tensor(x, requires_grad=True)
    gradiente.fake_quantize_per_tensor_affine(xg, 0.1, 0, -5, 5).sum().backward()
    assert xg.grad.tolist() == [0.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fake_quantize_per_tensor_sweep(dtype):
    rng = np.random.default_rng(1)
    ranges = [(-128, 127), (0, 255), (-5, 5), (0, 15)]
    for k in range(120):
        x = (rng.standard_normal(500) * rng.choice([0.1, 1, 10, 300])).astype(dtype)
        x[:7] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30]
        scale = float(rng.choice([0.1, 0.0123, 1 / 3, 0.5, 2.7, 1e-3]) * (rng.random() + 0.5))
        qmin, qmax = ranges[k % 4]
        zero = int(rng.integers(qmin, qmax + 1))
        xt = torch.from_numpy(x).requires_grad_()
        xg = gradiente.from_numpy(x).requires_grad_()
        yt = torch.fake_quantize_per_tensor_affine(xt, scale, zero, qmin, qmax)
        yg = gradiente.fake_quantize_per_tensor_affine(xg, scale, zero, qmin, qmax)
        _assert_bitwise(yg, yt)
        w = rng.standard_normal(500).astype(dtype)
        yt.backward(torch.from_numpy(w))
        yg.backward(gradiente.from_numpy(w))
        _assert_bitwise(xg.grad, xt.grad)


@pytest.mark.parametrize("float_zero_point", [False, True])
def test_fake_quantize_per_channel_sweep(float_zero_point):
    rng = np.random.default_rng(2)
    for k in range(60):
        w = (rng.standard_normal((4, 6, 3)) * 2).astype(np.float32)
        w.ravel()[:3] = [np.nan, np.inf, -np.inf]
        axis = k % 3
        n = w.shape[axis]
        scale = (rng.random(n) * 0.3 + 0.01).astype(np.float32)
        if float_zero_point:
            zero = (rng.random(n) * 6 - 3).astype(np.float32)
        else:
            zero = rng.integers(-3, 4, n).astype(np.int32)
        wt = torch.from_numpy(w).requires_grad_()
        wg = gradiente.from_numpy(w).requires_grad_()
        yt = torch.fake_quantize_per_channel_affine(
            wt, torch.from_numpy(scale), torch.from_numpy(zero), axis, -8, 7
        )
        yg = gradiente.fake_quantize_per_channel_affine(
            wg, gradiente.from_numpy(scale), gradiente.from_numpy(zero), axis, -8, 7
        )
        _assert_bitwise(yg, yt)
        yt.sum().backward()
        yg.sum().backward()
        _assert_bitwise(wg.grad, wt.grad)


def test_fake_quantize_tensor_qparams_and_half():
    x = np.linspace(-1, 1, 21).astype(np.float32)
    got = gradiente.fake_quantize_per_tensor_affine(
        gradiente.from_numpy(x), gradiente.tensor(0.1), gradiente.tensor(0), -5, 5
    )
    expected = torch.fake_quantize_per_tensor_affine(
        torch.from_numpy(x), torch.tensor(0.1), torch.tensor(0), -5, 5
    )
    _assert_bitwise(got, expected)
    got = gradiente.fake_quantize_per_tensor_affine(gradiente.from_numpy(x).half(), 0.1, 2, -5, 5)
    expected = torch.fake_quantize_per_tensor_affine(torch.from_numpy(x).half(), 0.1, 2, -5, 5)
    _assert_bitwise(got, expected)


def test_fake_quantize_errors():
    x = np.array([-1.0, 0.03, 0.5, 2.0], dtype=np.float32)

    def both(f):
        _same_error(
            lambda: f(gradiente, gradiente.from_numpy(x)), lambda: f(torch, torch.from_numpy(x))
        )

    both(lambda lib, t: lib.fake_quantize_per_tensor_affine(t, 0.1, 0, 5, -5))
    both(lambda lib, t: lib.fake_quantize_per_tensor_affine(t, 0.1, 10, -5, 5))
    both(lambda lib, t: lib.fake_quantize_per_tensor_affine(t.long(), 0.1, 0, -5, 5))
    w = np.zeros((3, 4), dtype=np.float32)

    def per_channel(scale, zero, axis=0, qmin=-5, qmax=5):
        def call(lib, _):
            s = lib.tensor(scale[0], dtype=getattr(lib, scale[1]))
            z = lib.tensor(zero[0], dtype=getattr(lib, zero[1]))
            return lib.fake_quantize_per_channel_affine(lib.from_numpy(w), s, z, axis, qmin, qmax)

        both(call)

    per_channel(([0.1, 0.2, 0.3], "float32"), ([0, 1, 2], "int64"))
    per_channel(([0.1, 0.2, 0.3], "float64"), ([0, 1, 2], "int32"))
    per_channel(([0.1, 0.2], "float32"), ([0, 1], "int32"))
    per_channel(([0.1, 0.2, 0.3], "float32"), ([0, 1], "int32"))
    per_channel(([0.1, 0.2, 0.3], "float32"), ([0, 1, 9], "int32"))
    per_channel(([0.1, 0.2, 0.3], "float32"), ([0, 1, 2], "int32"), axis=2)
    per_channel(([0.1, 0.2, 0.3, 0.4], "float32"), ([0, 1, 2, 3], "int32"), axis=-1)
    per_channel(([0.1, 0.2, 0.3], "float32"), ([0, 1, 2], "int32"), qmin=5, qmax=-5)


# ---------------------------------------------------------------------------------------------
# 4. a full backward hook on an in-place ReLU: torch refuses the in-place write
# ---------------------------------------------------------------------------------------------


def _guided_backprop(lib, inplace: bool):
    lib.manual_seed(0)
    nn = lib.nn
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(inplace=inplace), nn.Flatten(), nn.Linear(64, 2))
    m[1].register_full_backward_hook(lambda mod, gin, gout: (gin[0].clamp(min=0),))
    x = lib.randn(1, 3, 6, 6, requires_grad=True)
    m(x)[0, 1].backward()
    return x.grad


def test_full_backward_hook_on_inplace_relu_raises_as_torch():
    _same_error(lambda: _guided_backprop(gradiente, True), lambda: _guided_backprop(torch, True))
    message = _error(lambda: _guided_backprop(gradiente, True))[1]
    assert message.startswith("Output 0 of BackwardHookFunction is a view and is being modified")


def test_full_backward_hook_on_out_of_place_relu_still_works():
    got = _guided_backprop(gradiente, False).numpy()
    np.testing.assert_allclose(got, _guided_backprop(torch, False).numpy(), rtol=1e-5, atol=1e-7)


def test_inplace_on_hooked_module_output_raises_as_torch():
    def run(lib):
        layer = lib.nn.Linear(3, 3)
        layer.register_full_backward_hook(lambda mod, gin, gout: None)
        y = layer(lib.ones(2, 3, requires_grad=True))
        y.add_(1)

    _same_error(lambda: run(gradiente), lambda: run(torch))
    with gradiente.no_grad():  # no identity node without grad mode: in-place is fine
        layer = gradiente.nn.Linear(3, 3)
        layer.register_full_backward_hook(lambda mod, gin, gout: None)
        layer(gradiente.ones(2, 3)).add_(1)
