"""gradiente.vision.draw (torchvision.utils' draw_bounding_boxes, draw_segmentation_masks,
draw_keypoints, flow_to_image) compared pixel for pixel with the real torchvision 0.28, and
gradiente.vision.io (torchvision.io's image files).

torchvision.io's decoders are C++ operators that cannot load beside the CPU torch here, so the
io tests compare with (a) torchvision itself where its image extension loads, (b) reference
values produced by torchvision's own bundled libpng/libjpeg-turbo with torchvision's exact
sequence of library calls (the hashes and pixel rows below), and (c) independent statements of
libpng's arithmetic.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import hashlib
import io as pyio
import struct
import warnings
import zlib

import numpy as np
import pytest

import gradiente
from conftest import real_torchvision
from gradiente.vision import draw, io, utils

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def tv():
    return real_torchvision()


def _both(a: np.ndarray):
    """The same array as a torch and a gradiente tensor."""
    return torch.from_numpy(a.copy()), gradiente.from_numpy(a.copy())


def _assert_identical(expected, got):
    e, g = expected.numpy(), got.numpy()
    assert g.dtype == e.dtype and g.shape == e.shape
    np.testing.assert_array_equal(g, e)


def _image(seed, dtype=np.uint8, channels=3, h=60, w=80):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return rng.integers(0, 256, (channels, h, w), dtype=np.uint8)
    return rng.random((channels, h, w)).astype(dtype)


BOXES = np.array([[5, 5, 40, 30], [10.7, 20.2, 70.9, 55.5], [0, 0, 79, 59]], np.float32)
LABELS = ["cat", "dog", "a longer label"]


# ---------------------------------------------------------------------------------------------
# draw_bounding_boxes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"labels": LABELS},
        {"fill": True, "width": 3, "labels": LABELS},
        {"colors": "red", "labels": LABELS, "fill_labels": True},
        {
            "colors": ["red", (0, 255, 0), "#0000FF"],
            "label_colors": "white",
            "fill_labels": True,
            "label_background_colors": ["black", "blue", (9, 99, 199)],
            "labels": LABELS,
        },
        {
            "colors": (10, 20, 30),
            "width": 2,
            "labels": LABELS,
            "label_colors": ["pink", "yellow", (1, 2, 3)],
        },
    ],
    ids=["palette", "labels", "fill", "fill_labels", "all_colours", "label_colors"],
)
def test_draw_bounding_boxes_matches_torchvision(tv, kwargs):
    ti, gi = _both(_image(0))
    tb, gb = _both(BOXES)
    expected = tv.utils.draw_bounding_boxes(ti, tb, **kwargs)
    _assert_identical(expected, draw.draw_bounding_boxes(gi, gb, **kwargs))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels", [1, 3])
def test_draw_bounding_boxes_float_and_grey_images(tv, dtype, channels):
    ti, gi = _both(_image(1, dtype, channels))
    tb, gb = _both(BOXES)
    kw = {"labels": LABELS, "fill": channels == 3, "colors": None if channels == 1 else "orange"}
    _assert_identical(
        tv.utils.draw_bounding_boxes(ti, tb, **kw), draw.draw_bounding_boxes(gi, gb, **kw)
    )


def test_draw_bounding_boxes_grey_uint8_becomes_rgb(tv):
    ti, gi = _both(_image(2, channels=1))
    tb, gb = _both(BOXES)
    out = draw.draw_bounding_boxes(gi, gb, labels=LABELS)
    assert tuple(out.shape) == (3, 60, 80)
    _assert_identical(tv.utils.draw_bounding_boxes(ti, tb, labels=LABELS), out)


def test_draw_rotated_boxes_matches_torchvision(tv):
    corners = np.array(
        [[10, 10, 50, 15, 45, 40, 5, 35], [60.5, 5, 75, 20.9, 60, 35, 45, 20]], np.float32
    )
    ti, gi = _both(_image(3))
    tb, gb = _both(corners)
    for kw in ({}, {"fill": True, "width": 2, "labels": ["o", "p"], "colors": "cyan"}):
        _assert_identical(
            tv.utils.draw_bounding_boxes(ti, tb, **kw), draw.draw_bounding_boxes(gi, gb, **kw)
        )


def test_draw_bounding_boxes_palette_is_torchvisions(tv):
    assert draw._generate_color_palette(7) == [
        tuple(int(v) for v in c) for c in tv.utils._generate_color_palette(7)
    ]


def test_draw_bounding_boxes_errors_and_warnings(tv):
    gi = gradiente.from_numpy(_image(4))
    gb = gradiente.from_numpy(BOXES)
    with pytest.raises(TypeError, match="Tensor expected"):
        draw.draw_bounding_boxes(_image(4), gb)
    with pytest.raises(ValueError, match="uint8 or float, got torch.int32"):
        draw.draw_bounding_boxes(gi.to(gradiente.int32), gb)
    with pytest.raises(ValueError, match="Pass individual images, not batches"):
        draw.draw_bounding_boxes(gi[None], gb)
    with pytest.raises(ValueError, match="Only grayscale and RGB images are supported"):
        draw.draw_bounding_boxes(gradiente.from_numpy(_image(4, channels=2)), gb)
    with pytest.raises(ValueError, match=r"\(xmin, ymin, xmax, ymax\) format"):
        draw.draw_bounding_boxes(gi, gradiente.tensor([[10.0, 0, 5, 5]]))
    with pytest.raises(ValueError, match=r"Number of boxes \(3\) and labels \(1\) mismatch"):
        draw.draw_bounding_boxes(gi, gb, labels=["x"])
    with pytest.raises(ValueError, match="Number of colors must be equal or larger"):
        draw.draw_bounding_boxes(gi, gb, colors=["red"])
    with pytest.raises(ValueError, match="RGB triplet"):
        draw.draw_bounding_boxes(gi, gb, colors=(1, 2))
    with pytest.raises(ValueError, match="colors must be a tuple or a string"):
        draw.draw_bounding_boxes(gi, gb, colors=5)
    with pytest.warns(UserWarning, match="boxes doesn't contain any box"):
        out = draw.draw_bounding_boxes(gi, gradiente.zeros(0, 4))
    assert out is gi
    with pytest.warns(UserWarning, match="'font_size' will be ignored"):
        draw.draw_bounding_boxes(gi, gb, font_size=20)


# ---------------------------------------------------------------------------------------------
# draw_segmentation_masks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64, np.float16])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"alpha": 0.3, "colors": "blue"},
        {"alpha": 0.55, "colors": ["red", (1, 2, 3), "green", "#123456"]},
    ],
    ids=["palette", "one_colour", "colour_list"],
)
def test_draw_segmentation_masks_matches_torchvision(tv, dtype, kwargs):
    masks = np.random.default_rng(5).random((4, 60, 80)) > 0.6  # with overlaps
    ti, gi = _both(_image(6, dtype))
    tm, gm = _both(masks)
    _assert_identical(
        tv.utils.draw_segmentation_masks(ti, tm, **kwargs),
        draw.draw_segmentation_masks(gi, gm, **kwargs),
    )


def test_draw_segmentation_masks_single_mask_and_errors(tv):
    ti, gi = _both(_image(7))
    mask = np.random.default_rng(8).random((60, 80)) > 0.5
    tm, gm = _both(mask)
    _assert_identical(
        tv.utils.draw_segmentation_masks(ti, tm, alpha=0.7),
        draw.draw_segmentation_masks(gi, gm, alpha=0.7),
    )
    with pytest.raises(ValueError, match="Pass an RGB image"):
        draw.draw_segmentation_masks(gradiente.from_numpy(_image(7, channels=1)), gm)
    with pytest.raises(ValueError, match="masks must be of shape"):
        draw.draw_segmentation_masks(gi, gm[None, None])
    with pytest.raises(ValueError, match="The masks must be of dtype bool. Got torch.uint8"):
        draw.draw_segmentation_masks(gi, gm.to(gradiente.uint8))
    with pytest.raises(ValueError, match="same height and width"):
        draw.draw_segmentation_masks(gi, gm[:, :10])
    with pytest.warns(UserWarning, match="masks doesn't contain any mask"):
        out = draw.draw_segmentation_masks(gi, gradiente.zeros(0, 60, 80, dtype=gradiente.bool))
    assert out is gi


# ---------------------------------------------------------------------------------------------
# draw_keypoints
# ---------------------------------------------------------------------------------------------

CONNECTIVITY = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"colors": "red", "radius": 3}, {"connectivity": CONNECTIVITY, "colors": (0, 255, 0)}],
    ids=["defaults", "colour_radius", "connectivity"],
)
@pytest.mark.parametrize("with_visibility", [False, True])
def test_draw_keypoints_matches_torchvision(tv, kwargs, with_visibility):
    rng = np.random.default_rng(9)
    keypoints = (rng.random((2, 5, 2)) * [80, 60]).astype(np.float32)
    tk, gk = _both(keypoints)
    ti, gi = _both(_image(10))
    if with_visibility:
        tvis, gvis = _both(rng.random((2, 5)) > 0.3)
        kwargs = {**kwargs, "width": 2}
        expected = tv.utils.draw_keypoints(ti, tk, visibility=tvis, **kwargs)
        got = draw.draw_keypoints(gi, gk, visibility=gvis, **kwargs)
    else:
        expected = tv.utils.draw_keypoints(ti, tk, **kwargs)
        got = draw.draw_keypoints(gi, gk, **kwargs)
    _assert_identical(expected, got)


def test_draw_keypoints_float_image_and_errors(tv):
    keypoints = np.array([[[10.5, 12], [40, 30], [70, 50]]], np.float32)
    tk, gk = _both(keypoints)
    ti, gi = _both(_image(11, np.float32))
    conn = [(0, 1), (1, 2)]
    _assert_identical(
        tv.utils.draw_keypoints(ti, tk, connectivity=conn, colors="blue"),
        draw.draw_keypoints(gi, gk, connectivity=conn, colors="blue"),
    )
    vis3 = np.array([[[True], [False], [True]]])
    tvis, gvis = _both(vis3)
    _assert_identical(
        tv.utils.draw_keypoints(ti, tk, connectivity=conn, visibility=tvis),
        draw.draw_keypoints(gi, gk, connectivity=conn, visibility=gvis),
    )
    with pytest.raises(ValueError, match=r"keypoints must be of shape \(num_instances, K, 2\)"):
        draw.draw_keypoints(gi, gk[0])
    with pytest.raises(ValueError, match="visibility must be of shape"):
        draw.draw_keypoints(gi, gk, visibility=gradiente.ones(3, dtype=gradiente.bool))
    with pytest.raises(ValueError, match=r"Got visibility.shape=torch.Size\(\[1, 2\]\)"):
        draw.draw_keypoints(gi, gk, visibility=gradiente.ones(1, 2, dtype=gradiente.bool))


def test_flow_to_image_matches_torchvision(tv):
    np.testing.assert_array_equal(draw._make_colorwheel(), tv.utils._make_colorwheel().numpy())
    rng = np.random.default_rng(13)
    for shape in [(2, 40, 56), (3, 2, 30, 20)]:
        tf, gf = _both(rng.normal(0, 3, shape).astype(np.float32))
        expected, got = tv.utils.flow_to_image(tf).numpy(), draw.flow_to_image(gf).numpy()
        assert got.dtype == np.uint8 and got.shape == expected.shape
        # atan2 may differ from torch's vectorised one by an ulp, moving a rare ⌊255·x⌋ by one
        difference = np.abs(got.astype(int) - expected.astype(int))
        assert difference.max() <= 1 and (difference > 0).mean() < 1e-3
    with pytest.raises(ValueError, match="Flow should be of dtype torch.float, got torch.float64"):
        draw.flow_to_image(gradiente.zeros(2, 4, 4, dtype=gradiente.float64))
    with pytest.raises(ValueError, match=r"shape \(2, H, W\) or \(N, 2, H, W\), got"):
        draw.flow_to_image(gradiente.zeros(3, 4, 4))


def test_utils_reexports_the_drawing_functions():
    assert utils.draw_bounding_boxes is draw.draw_bounding_boxes
    assert utils.draw_segmentation_masks is draw.draw_segmentation_masks
    assert utils.draw_keypoints is draw.draw_keypoints
    assert utils.flow_to_image is draw.flow_to_image


# ---------------------------------------------------------------------------------------------
# io: files and PNG
# ---------------------------------------------------------------------------------------------


def _tv_io_or_none(tv):
    """torchvision.io where its C++ image extension loads, else None."""
    return tv.io if tv.io.image._has_image_ops() else None


def _png_bytes(array, **save_kwargs) -> bytes:
    buffer = pyio.BytesIO()
    (array if isinstance(array, Image.Image) else Image.fromarray(array)).save(
        buffer, format="PNG", **save_kwargs
    )
    return buffer.getvalue()


def _with_chunk(png: bytes, kind: bytes, data: bytes) -> bytes:
    """``png`` with one ancillary chunk inserted right after IHDR."""
    crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return png[:33] + struct.pack(">I", len(data)) + kind + data + crc + png[33:]


def _tensor(buffer: bytes):
    return gradiente.from_numpy(np.frombuffer(buffer, np.uint8).copy())


def _pattern(h, w):
    """A deterministic RGB test picture (H, W, 3)."""
    y, x = np.mgrid[0:h, 0:w]
    channels = [(x * 37 + y * 11) % 256, (x * 5 + y * 53) % 256, (x * 91 + y * 29 + 7) % 256]
    return np.stack(channels, -1).astype(np.uint8)


def test_read_write_file_round_trip(tmp_path):
    data = gradiente.from_numpy(np.arange(300, dtype=np.int64).astype(np.uint8))
    path = tmp_path / "bytes.bin"
    io.write_file(path, data)
    assert path.read_bytes() == bytes(np.arange(300).astype(np.uint8))
    back = io.read_file(path)
    assert back.dtype == gradiente.uint8 and back.tolist() == data.tolist()
    with pytest.raises(RuntimeError, match="No such file or directory"):
        io.read_file(tmp_path / "missing.png")
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(RuntimeError, match="Expected a non empty file"):
        io.read_file(tmp_path / "empty")
    with pytest.raises(RuntimeError, match="Input tensor dtype should be uint8"):
        io.write_file(path, gradiente.zeros(3))
    with pytest.raises(RuntimeError, match="Input data should be a 1-dimensional tensor"):
        io.write_file(path, gradiente.zeros(2, 2, dtype=gradiente.uint8))


@pytest.mark.parametrize("channels", [1, 3])
def test_png_round_trip_is_exact(tv, tmp_path, channels):
    image = np.random.default_rng(12).integers(0, 256, (channels, 31, 47), dtype=np.uint8)
    t = gradiente.from_numpy(image)
    encoded = io.encode_png(t, compression_level=9)
    assert encoded.dtype == gradiente.uint8 and encoded.dim() == 1
    assert bytes(encoded.numpy()[:8]) == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(io.decode_png(encoded).numpy(), image)
    path = tmp_path / "x.png"
    io.write_png(t, path, compression_level=0)
    read = io.read_image(path)
    assert read.dtype == gradiente.uint8
    np.testing.assert_array_equal(read.numpy(), image)
    tvio = _tv_io_or_none(tv)
    if tvio is not None:
        np.testing.assert_array_equal(tvio.read_image(str(path)).numpy(), image)


def test_png_modes_from_rgb_rgba_grey(tv):
    rgb = _pattern(6, 8)
    rgba = np.concatenate([rgb, (rgb[..., :1] // 2 + 7)], -1)
    grey = rgb[..., 1]
    # libpng's rgb_to_gray with torchvision's (0.2989, 0.587): 15-bit weights, truncated
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    luma = ((9794 * r + 19234 * g + 3740 * b) >> 15).astype(np.uint8)
    mode = io.ImageReadMode
    cases = [
        (rgb, mode.UNCHANGED, rgb),
        (rgb, mode.RGB, rgb),
        (rgb, mode.GRAY, luma[..., None]),
        (rgb, mode.GRAY_ALPHA, np.stack([luma, np.full_like(luma, 255)], -1)),
        (rgb, mode.RGB_ALPHA, np.concatenate([rgb, np.full_like(rgb[..., :1], 255)], -1)),
        (rgba, "rgb", rgb),
        (rgba, "GRAY", luma[..., None]),
        (rgba, "gray_alpha", np.stack([luma, rgba[..., 3]], -1)),
        (rgba, mode.RGBA, rgba),
        (grey, mode.RGB, np.repeat(grey[..., None], 3, -1)),
        (grey, mode.RGB_ALPHA, np.stack([grey] * 3 + [np.full_like(grey, 255)], -1)),
        (grey, mode.GRAY, grey[..., None]),
    ]
    tvio = _tv_io_or_none(tv)
    for source, read_mode, expected in cases:
        data = _tensor(_png_bytes(source))
        got = io.decode_png(data, mode=read_mode)
        np.testing.assert_array_equal(got.numpy(), expected.transpose(2, 0, 1))
        np.testing.assert_array_equal(io.decode_image(data, mode=read_mode).numpy(), got.numpy())
        if tvio is not None:
            np.testing.assert_array_equal(
                tvio.decode_png(torch.from_numpy(data.numpy()), mode=read_mode), got
            )


def test_png_grey_with_declared_gamma_matches_libpng():
    """With a gAMA chunk libpng converts to grey in linear light: torchvision's values."""
    png = _png_bytes(_pattern(6, 8))
    expected = {
        45455: [
            [0, 43, 80, 66, 95, 129, 130, 56],
            [43, 68, 103, 87, 116, 149, 148, 89],
            [87, 106, 135, 120, 147, 153, 174, 128],
            [129, 147, 144, 160, 182, 186, 206, 170],
            [172, 188, 184, 200, 221, 223, 196, 212],
            [64, 102, 80, 112, 118, 144, 74, 46],
        ],
        22000: [
            [0, 0, 119, 88, 116, 158, 171, 75],
            [0, 75, 137, 96, 130, 173, 180, 107],
            [96, 116, 159, 122, 150, 167, 193, 142],
            [142, 156, 152, 163, 183, 192, 214, 184],
            [189, 200, 199, 207, 222, 228, 216, 229],
            [96, 152, 102, 137, 156, 184, 116, 0],
        ],
    }
    for gamma, rows in expected.items():
        data = _tensor(_with_chunk(png, b"gAMA", struct.pack(">I", gamma)))
        assert io.decode_png(data, mode="GRAY").numpy()[0].tolist() == rows
    srgb = _tensor(_with_chunk(png, b"sRGB", b"\x00"))  # sRGB implies gamma 0.45455
    assert io.decode_png(srgb, mode="GRAY").numpy()[0].tolist() == expected[45455]
    unit = _tensor(_with_chunk(png, b"gAMA", struct.pack(">I", 100000)))  # gamma 1: no tables
    plain = io.decode_png(_tensor(png), mode="GRAY").numpy()
    np.testing.assert_array_equal(io.decode_png(unit, mode="GRAY").numpy(), plain)


def test_png_palette_low_bit_depth_and_transparency():
    rgb = _pattern(9, 13)
    quantised = Image.fromarray(rgb).quantize(16)
    indices = np.asarray(quantised)
    palette = np.asarray(quantised.getpalette("RGB"), np.uint8).reshape(-1, 3)
    trns = bytes(range(0, 160, 10))
    data = _tensor(_png_bytes(quantised, transparency=trns))
    np.testing.assert_array_equal(io.decode_png(data).numpy()[0], indices)  # as stored
    np.testing.assert_array_equal(
        io.decode_png(data, mode="RGB").numpy(), palette[indices].transpose(2, 0, 1)
    )
    alpha = np.frombuffer(trns, np.uint8)[indices]
    rgba = io.decode_png(data, mode="RGBA").numpy()
    np.testing.assert_array_equal(rgba[3], alpha)
    # grey files below 8 bits: samples scaled up, and the added alpha is torchvision's filler
    # 2^bit_depth − 1 (here 15), which libpng writes after the expansion
    grey4 = _tensor(_png_bytes(Image.fromarray(rgb[..., 0]), bits=4))
    grey_alpha = io.decode_png(grey4, mode="GRAY_ALPHA").numpy()
    assert set(np.unique(grey_alpha[0]) % 17) == {0} and set(np.unique(grey_alpha[1])) == {15}


def test_png_errors():
    rgb = _tensor(_png_bytes(_pattern(4, 4)))
    with pytest.raises(RuntimeError, match="Content is not png!"):
        io.decode_png(_tensor(b"\xff\xd8\xff\xe0" + bytes(20)))
    with pytest.raises(RuntimeError, match="Content is too small for png!"):
        io.decode_png(_tensor(b"\x89PNG"))
    with pytest.raises(RuntimeError, match="must have uint8 data type"):
        io.decode_png(rgb.to(gradiente.int32))
    with pytest.raises(RuntimeError, match="must be 1-dimensional and non-empty"):
        io.decode_png(rgb[None])
    with pytest.raises(KeyError):
        io.decode_png(rgb, mode="CMYK")
    with pytest.raises(RuntimeError, match="Compression level should be between 0 and 9"):
        io.encode_png(gradiente.zeros(3, 4, 4, dtype=gradiente.uint8), compression_level=10)
    with pytest.raises(RuntimeError, match="Input tensor dtype should be uint8"):
        io.encode_png(gradiente.zeros(3, 4, 4))
    with pytest.raises(RuntimeError, match="Input data should be a 3-dimensional tensor"):
        io.encode_png(gradiente.zeros(4, 4, dtype=gradiente.uint8))
    with pytest.raises(RuntimeError, match="The number of channels should be 1 or 3, got: 4"):
        io.encode_png(gradiente.zeros(4, 4, 4, dtype=gradiente.uint8))
    sixteen = _png_bytes(Image.fromarray(np.arange(16, dtype=np.uint16).reshape(4, 4) * 4000))
    with pytest.raises(RuntimeError, match="16-bit"):
        io.decode_png(_tensor(sixteen))
    with pytest.raises(RuntimeError, match="Unsupported image file"):
        io.decode_image(_tensor(b"GIF89a" + bytes(20)))


# ---------------------------------------------------------------------------------------------
# io: JPEG
# ---------------------------------------------------------------------------------------------

# torchvision's bundled libjpeg-turbo 3.1.3, called as torchvision's encode_jpeg/decode_jpeg
# call it, on _jpeg_source() at quality 80: the sha256 of the file and of the decoded pixels
_TV_JPEG_SHA = "467064d883726c682c733d45c18420975f4a1da04c920fc8ba1f2e4019c5b13c"
_TV_DECODED_RGB_SHA = "068e38ff97f44195509cd276be44f5be3a9a57c8deb171ba811d73cb083b3a9e"
_TV_DECODED_GRAY_SHA = "f3f59b275c75eaacf86da46c041fa0e4e0dccf1547a59680ed22720b51ba85b6"


def _jpeg_source():
    y, x = np.mgrid[0:16, 0:24]
    rgb = [(x * 9 + y * 4) % 256, (x * 3 + y * 15) % 256, (255 - x * 10 - y * 2) % 256]
    return np.stack(rgb).astype(np.uint8)  # (3, 16, 24)


def _sha(a) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def test_jpeg_encode_and_decode_match_torchvisions_libjpeg(tmp_path):
    encoded = io.encode_jpeg(gradiente.from_numpy(_jpeg_source()), quality=80)
    assert encoded.dtype == gradiente.uint8 and _sha(encoded.numpy()) == _TV_JPEG_SHA
    rgb = io.decode_jpeg(encoded)
    assert tuple(rgb.shape) == (3, 16, 24) and _sha(rgb.numpy()) == _TV_DECODED_RGB_SHA
    assert _sha(io.decode_jpeg(encoded, mode="RGB").numpy()) == _TV_DECODED_RGB_SHA
    grey = io.decode_jpeg(encoded, mode=io.ImageReadMode.GRAY)  # the decoder's own Y plane
    assert tuple(grey.shape) == (1, 16, 24) and _sha(grey.numpy()) == _TV_DECODED_GRAY_SHA
    path = tmp_path / "x.jpg"
    io.write_jpeg(gradiente.from_numpy(_jpeg_source()), path, quality=80)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == _TV_JPEG_SHA
    assert _sha(io.read_image(path, mode="GRAY").numpy()) == _TV_DECODED_GRAY_SHA
    both = io.decode_jpeg([encoded, encoded])
    assert isinstance(both, list) and all(_sha(t.numpy()) == _TV_DECODED_RGB_SHA for t in both)


def test_jpeg_grey_files_and_errors():
    grey = gradiente.from_numpy(_jpeg_source()[:1])
    encoded = io.encode_jpeg(grey, quality=90)
    one = io.decode_jpeg(encoded)
    assert tuple(one.shape) == (1, 16, 24)
    three = io.decode_jpeg(encoded, mode="RGB")  # libjpeg repeats grey into RGB
    np.testing.assert_array_equal(three.numpy(), np.repeat(one.numpy(), 3, 0))
    with pytest.raises(RuntimeError, match="not supported for JPEG files"):
        io.decode_jpeg(encoded, mode="RGBA")
    with pytest.raises(RuntimeError, match="not supported for JPEG files"):
        io.decode_image(encoded, mode=io.ImageReadMode.GRAY_ALPHA)
    with pytest.raises(ValueError, match="Image quality should be a positive number"):
        io.encode_jpeg(grey, quality=0)
    with pytest.raises(ValueError, match="Input list must contain at least one element"):
        io.decode_jpeg([])
    with pytest.raises(RuntimeError, match="The number of channels should be 1 or 3, got: 2"):
        io.encode_jpeg(gradiente.zeros(2, 4, 4, dtype=gradiente.uint8))


def test_jpeg_cmyk_conversions():
    """CMYK files: raw samples unchanged; RGB/GRAY by torchvision's integer formulas."""
    rgb = np.ascontiguousarray(_jpeg_source().transpose(1, 2, 0))
    buffer = pyio.BytesIO()
    Image.fromarray(rgb).convert("CMYK").save(buffer, format="JPEG", quality=95)
    data = _tensor(buffer.getvalue())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pil = np.asarray(Image.open(pyio.BytesIO(buffer.getvalue())))  # Pillow inverts Adobe CMYK
    raw = io.decode_jpeg(data).numpy()
    assert raw.shape == (4, 16, 24)
    np.testing.assert_array_equal(raw, 255 - pil.transpose(2, 0, 1))
    c = raw.astype(np.int64)
    k = c[3]
    v = k * (255 - c[:3]) + 128
    expected_rgb = np.clip(k - (((v >> 8) + v) >> 8), 0, 255)
    np.testing.assert_array_equal(io.decode_jpeg(data, mode="RGB").numpy(), expected_rgb)
    r, g, b = expected_rgb
    expected_grey = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16
    np.testing.assert_array_equal(io.decode_jpeg(data, mode="GRAY").numpy()[0], expected_grey)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_apply_exif_orientation_matches_the_exif_standard(orientation):
    from PIL import ImageOps

    picture = Image.fromarray(_pattern(5, 7))
    exif = Image.Exif()
    exif[0x0112] = orientation
    for fmt in ("PNG", "JPEG"):
        buffer = pyio.BytesIO()
        picture.save(buffer, format=fmt, exif=exif.tobytes(), quality=95)
        data = _tensor(buffer.getvalue())
        upright = ImageOps.exif_transpose(Image.open(pyio.BytesIO(buffer.getvalue())))
        got = io.decode_image(data, apply_exif_orientation=True)
        np.testing.assert_array_equal(got.numpy(), np.asarray(upright).transpose(2, 0, 1))
        unrotated = io.decode_image(data)
        assert tuple(unrotated.shape) == (3, 5, 7)


def test_image_read_mode_enum():
    assert io.ImageReadMode.RGBA is io.ImageReadMode.RGB_ALPHA
    assert [m.value for m in io.ImageReadMode] == [0, 1, 2, 3, 4]
