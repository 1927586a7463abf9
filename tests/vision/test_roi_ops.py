"""gradiente.vision.ops_roi (torchvision.ops.roi_align, roi_pool, RoIAlign, RoIPool,
MultiScaleRoIAlign, LevelMapper) against the real torchvision 0.28.

torchvision's C++ kernels do not load here, so the references are: for RoIAlign, torchvision's
own pure-Python ``_roi_align`` (transcribed from its CUDA kernel; boxes inside the image, as it
omits the kernel's out-of-image rule) and a loop transcription of the CPU kernel written below;
for RoIPool, a loop transcription of its CPU kernel. Gradients come from torch's autograd of
those references; gradiente's own are also checked with float64 gradcheck/gradgradcheck.
"""

from __future__ import annotations

import math
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections import OrderedDict

import numpy as np
import pytest

import gradiente
from conftest import real_torchvision
from gradiente.autograd import gradcheck, gradgradcheck
from gradiente.vision import ops

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tv():
    return real_torchvision()


@pytest.fixture(scope="module")
def ref_align(tv):
    """torchvision's pure-Python RoIAlign, unwrapped from its lazy torch.compile."""
    return sys.modules["torchvision.ops.roi_align"]._roi_align.__wrapped__


def _g(t: torch.Tensor, requires_grad=False):
    return gradiente.tensor(t.detach().numpy(), requires_grad=requires_grad)


def _rois(k, n_images, extent, seed, dtype=torch.float64):
    """k boxes inside an ``extent`` (H, W) image, as (K, 5) rows (image, x1, y1, x2, y2)."""
    gen = torch.Generator().manual_seed(seed)
    h, w = extent
    x1 = torch.rand(k, generator=gen, dtype=dtype) * (w - 2)
    y1 = torch.rand(k, generator=gen, dtype=dtype) * (h - 2)
    x2 = (x1 + 0.3 + torch.rand(k, generator=gen, dtype=dtype) * w).clamp(max=w - 1)
    y2 = (y1 + 0.3 + torch.rand(k, generator=gen, dtype=dtype) * h).clamp(max=h - 1)
    b = torch.randint(0, n_images, (k,), generator=gen).to(dtype)
    return torch.stack([b, x1, y1, x2, y2], 1)


# ---------------------------------------------------------------- roi_align


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("sampling_ratio", [-1, 0, 1, 2, 3])
@pytest.mark.parametrize("spatial_scale,output_size", [(1.0, (3, 4)), (0.5, 2), (0.25, [5, 3])])
def test_roi_align_matches_torchvision(
    ref_align, aligned, sampling_ratio, spatial_scale, output_size
):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 11, 13, dtype=torch.float64, requires_grad=True)
    scale_up = 1 / spatial_scale
    rois = _rois(7, 2, (11, 13), seed=1)
    rois[:, 1:] *= scale_up  # boxes in image coordinates, the map is 1/scale as large
    size = output_size if not isinstance(output_size, int) else (output_size, output_size)
    expected = ref_align(x, rois, spatial_scale, size[0], size[1], sampling_ratio, aligned)
    upstream = torch.randn(expected.shape, dtype=torch.float64)
    (expected_grad,) = torch.autograd.grad(expected, x, upstream)

    gx = _g(x, requires_grad=True)
    out = ops.roi_align(gx, _g(rois), output_size, spatial_scale, sampling_ratio, aligned)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    out.backward(_g(upstream))
    np.testing.assert_allclose(gx.grad.numpy(), expected_grad.numpy(), atol=1e-12)


def test_roi_align_float32_and_box_list(ref_align, tv):
    torch.manual_seed(1)
    x = torch.randn(2, 4, 16, 16)
    rois = _rois(6, 2, (16, 16), seed=2, dtype=torch.float32)
    per_image = [rois[rois[:, 0] == i, 1:] for i in range(2)]
    # torchvision converts a list to rows (image, box) in list order
    expected = ref_align(
        x, tv.ops._utils.convert_boxes_to_roi_format(per_image), 1.0, 2, 2, 2, True
    )
    out = ops.roi_align(_g(x), [_g(b) for b in per_image], 2, 1.0, 2, True)
    assert out.dtype == gradiente.float32
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def _kernel_roi_align(x, rois, scale, ph_n, pw_n, ratio, aligned):
    """torchvision's CPU kernel (roi_align_kernel.cpp), transcribed as loops in torch ops: the
    reference for boxes reaching outside the image (samples beyond [-1, H] count 0)."""
    _, C, H, W = x.shape
    out = []
    for roi in rois:
        b = int(roi[0])
        off = 0.5 if aligned else 0.0
        x1, y1, x2, y2 = (float(v) * scale - off for v in roi[1:])
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph_n, rw / pw_n
        gh = ratio if ratio > 0 else math.ceil(rh / ph_n)
        gw = ratio if ratio > 0 else math.ceil(rw / pw_n)
        count = max(gh * gw, 1)
        bins = []
        for ph in range(ph_n):
            for pw in range(pw_n):
                acc = x.new_zeros(C)
                for iy in range(gh):
                    y = y1 + ph * bh + (iy + 0.5) * bh / gh
                    for ix in range(gw):
                        xx = x1 + pw * bw + (ix + 0.5) * bw / gw
                        if y < -1.0 or y > H or xx < -1.0 or xx > W:
                            continue
                        yc, xc = max(y, 0.0), max(xx, 0.0)
                        yl, xl = int(yc), int(xc)
                        if yl >= H - 1:
                            yl = yh = H - 1
                            yc = float(yl)
                        else:
                            yh = yl + 1
                        if xl >= W - 1:
                            xl = xh = W - 1
                            xc = float(xl)
                        else:
                            xh = xl + 1
                        ly, lx = yc - yl, xc - xl
                        hy, hx = 1 - ly, 1 - lx
                        acc = acc + (
                            hy * hx * x[b, :, yl, xl]
                            + hy * lx * x[b, :, yl, xh]
                            + ly * hx * x[b, :, yh, xl]
                            + ly * lx * x[b, :, yh, xh]
                        )
                bins.append(acc / count)
        out.append(torch.stack(bins, 1).reshape(C, ph_n, pw_n))
    return torch.stack(out)


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("sampling_ratio", [-1, 2])
def test_roi_align_boxes_outside_the_image_follow_the_kernel(aligned, sampling_ratio):
    torch.manual_seed(3)
    x = torch.randn(1, 2, 6, 7, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor(
        [
            [0, -3.0, -2.5, 4.0, 3.0],  # over the top-left corner
            [0, 5.0, 4.0, 12.0, 9.5],  # over the bottom-right corner
            [0, 20.0, 20.0, 30.0, 25.0],  # wholly outside: zeros
            [0, 2.0, 2.0, 2.2, 2.1],  # tinier than a pixel
        ],
        dtype=torch.float64,
    )
    expected = _kernel_roi_align(x, rois, 1.0, 2, 3, sampling_ratio, aligned)
    upstream = torch.randn(expected.shape, dtype=torch.float64)
    (expected_grad,) = torch.autograd.grad(expected, x, upstream)
    gx = _g(x, requires_grad=True)
    out = ops.roi_align(gx, _g(rois), (2, 3), 1.0, sampling_ratio, aligned)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    out.backward(_g(upstream))
    np.testing.assert_allclose(gx.grad.numpy(), expected_grad.numpy(), atol=1e-12)
    assert not out.detach().numpy()[2].any()


def test_roi_align_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(0)
    x = gradiente.tensor(rng.standard_normal((2, 2, 6, 5)), requires_grad=True)
    rois = gradiente.tensor(
        [[0, 0.5, 1.0, 4.0, 5.0], [1, 1.2, 0.3, 3.7, 2.9], [1, 0.0, 0.0, 4.0, 5.0]]
    )

    def f(t):
        return ops.roi_align(t, rois, (3, 2), 1.0, -1, True)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_roi_align_empty_boxes_and_module(tv, ref_align):
    x = torch.randn(1, 3, 5, 5)
    out = ops.roi_align(_g(x), _g(torch.zeros(0, 5)), 2)
    assert out.shape == (0, 3, 2, 2)
    m, tm = ops.RoIAlign((2, 3), 0.5, 2), tv.ops.RoIAlign((2, 3), 0.5, 2)
    assert repr(m) == repr(tm)
    rois = _rois(3, 1, (10, 10), seed=4, dtype=torch.float32)
    np.testing.assert_allclose(
        m(_g(x), _g(rois)).numpy(), ref_align(x, rois, 0.5, 2, 3, 2, False).numpy(), atol=1e-6
    )


def test_roi_box_shape_errors(tv):
    x = torch.randn(1, 1, 4, 4)
    for bad in (torch.zeros(2, 4), [torch.zeros(2, 5)], "boxes"):
        with pytest.raises(Exception) as expected:
            tv.ops.roi_align(x, bad, 2)
        gbad = (
            bad
            if isinstance(bad, str)
            else (_g(bad) if isinstance(bad, torch.Tensor) else [_g(b) for b in bad])
        )
        for op in (ops.roi_align, ops.roi_pool):
            with pytest.raises(type(expected.value)) as got:
                op(_g(x), gbad, 2)
            assert str(got.value) == str(expected.value)


# ---------------------------------------------------------------- roi_pool


def _kernel_roi_pool(x, rois, scale, ph_n, pw_n):
    """torchvision's CPU RoIPool kernel (roi_pool_kernel.cpp) as loops of torch ops."""
    _, C, H, W = x.shape

    def c_round(v):  # C's round: halves away from zero
        return int(math.copysign(math.floor(abs(v) + 0.5), v))

    out = []
    for roi in rois:
        b = int(roi[0])
        x1, y1, x2, y2 = (c_round(float(v) * scale) for v in roi[1:])
        rh, rw = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
        bh, bw = rh / ph_n, rw / pw_n
        bins = []
        for ph in range(ph_n):
            for pw in range(pw_n):
                h0 = min(max(math.floor(ph * bh) + y1, 0), H)
                h1 = min(max(math.ceil((ph + 1) * bh) + y1, 0), H)
                w0 = min(max(math.floor(pw * bw) + x1, 0), W)
                w1 = min(max(math.ceil((pw + 1) * bw) + x1, 0), W)
                if h1 <= h0 or w1 <= w0:
                    bins.append(x.new_zeros(C))
                else:
                    bins.append(x[b, :, h0:h1, w0:w1].reshape(C, -1).max(1).values)
        out.append(torch.stack(bins, 1).reshape(C, ph_n, pw_n))
    return torch.stack(out)


@pytest.mark.parametrize("spatial_scale,output_size", [(1.0, (2, 3)), (0.5, 3), (0.25, (4, 2))])
def test_roi_pool_matches_the_kernel(spatial_scale, output_size):
    torch.manual_seed(5)
    x = torch.randn(2, 3, 9, 10, dtype=torch.float64, requires_grad=True)
    rois = _rois(6, 2, (9, 10), seed=6)
    rois[:, 1:] /= spatial_scale
    rois = torch.cat([rois, torch.tensor([[1, 50.0, 50.0, 60.0, 70.0]])])  # outside: zeros
    size = output_size if isinstance(output_size, tuple) else (output_size, output_size)
    expected = _kernel_roi_pool(x, rois, spatial_scale, *size)
    upstream = torch.randn(expected.shape, dtype=torch.float64)
    (expected_grad,) = torch.autograd.grad(expected, x, upstream)
    gx = _g(x, requires_grad=True)
    out = ops.roi_pool(gx, _g(rois), output_size, spatial_scale)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    out.backward(_g(upstream))
    np.testing.assert_allclose(gx.grad.numpy(), expected_grad.numpy(), atol=1e-12)


def test_roi_pool_list_boxes_module_and_gradcheck(tv):
    torch.manual_seed(7)
    x = torch.randn(2, 2, 8, 8, dtype=torch.float64)
    boxes = [
        torch.tensor([[0.4, 1.0, 5.6, 6.2]], dtype=torch.float64),
        torch.tensor([[2.0, 2.5, 7.0, 7.0], [0.0, 0.0, 3.0, 2.0]], dtype=torch.float64),
    ]
    rois = tv.ops._utils.convert_boxes_to_roi_format(boxes)
    m, tm = ops.RoIPool(3, 1.0), tv.ops.RoIPool(3, 1.0)
    assert repr(m) == repr(tm)
    np.testing.assert_array_equal(
        m(_g(x), [_g(b) for b in boxes]).numpy(), _kernel_roi_pool(x, rois, 1.0, 3, 3).numpy()
    )
    gx = _g(x, requires_grad=True)
    assert gradcheck(lambda t: ops.roi_pool(t, _g(rois), 3), (gx,))


# ---------------------------------------------------------------- multi-scale


def test_level_mapper_matches_torchvision(tv):
    poolers = sys.modules["torchvision.ops.poolers"]
    boxes = [
        torch.tensor([[0, 0, 10, 10], [0, 0, 224, 224], [5, 5, 900, 700.0]]),
        torch.tensor([[1, 1, 60, 120.0], [0, 0, 447.9, 448.0]]),
    ]
    for k_min, k_max, s0, lvl0 in [(2, 5, 224, 4), (3, 6, 112, 3)]:
        expected = poolers.LevelMapper(k_min, k_max, s0, lvl0)(boxes)
        got = ops.LevelMapper(k_min, k_max, s0, lvl0)([_g(b) for b in boxes])
        assert got.dtype == gradiente.int64
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("names", [["feat1", "feat3"], ["feat2"], ["feat1", "feat2", "feat3"]])
def test_multi_scale_roi_align_matches_torchvision(tv, ref_align, monkeypatch, names):
    poolers = sys.modules["torchvision.ops.poolers"]

    def python_roi_align(input, rois, output_size, spatial_scale, sampling_ratio):
        return ref_align(input, rois, spatial_scale, *output_size, sampling_ratio, False)

    monkeypatch.setattr(poolers, "roi_align", python_roi_align)
    torch.manual_seed(8)
    feats = OrderedDict(
        feat1=torch.rand(2, 3, 32, 32, dtype=torch.float64, requires_grad=True),
        feat2=torch.rand(2, 3, 16, 16, dtype=torch.float64, requires_grad=True),
        feat3=torch.rand(2, 3, 8, 8, dtype=torch.float64, requires_grad=True),
    )
    gen = torch.Generator().manual_seed(9)
    boxes = []
    for n in (5, 4):
        b = torch.rand(n, 4, generator=gen, dtype=torch.float64) * 60
        b[:, 2:] += b[:, :2] + 2
        boxes.append(b)
    image_shapes = [(128, 128), (120, 100)]
    tm = tv.ops.MultiScaleRoIAlign(names, 3, 2)
    m = ops.MultiScaleRoIAlign(names, 3, 2)
    assert repr(m) == repr(tm)
    expected = tm(feats, boxes, image_shapes)
    upstream = torch.randn(expected.shape, dtype=torch.float64)
    expected_grads = torch.autograd.grad(
        expected, list(feats.values()), upstream, allow_unused=True
    )

    gfeats = OrderedDict((k, _g(v, requires_grad=True)) for k, v in feats.items())
    out = m(gfeats, [_g(b) for b in boxes], image_shapes)
    assert m.scales == tm.scales
    assert (m.map_levels.k_min, m.map_levels.k_max) == (tm.map_levels.k_min, tm.map_levels.k_max)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    out.backward(_g(upstream))
    for gf, eg in zip(gfeats.values(), expected_grads):
        if eg is None:
            assert gf.grad is None or not gf.grad.numpy().any()
        else:
            np.testing.assert_allclose(gf.grad.numpy(), eg.numpy(), atol=1e-12)


def test_multi_scale_roi_align_needs_image_shapes(tv):
    m = ops.MultiScaleRoIAlign(["a"], 2, 2)
    with pytest.raises(ValueError, match="images list should not be empty"):
        m({"a": gradiente.zeros(1, 1, 4, 4)}, [gradiente.zeros(1, 4)], [])
