"""Reading and writing image files as tensors, as ``torchvision.io`` (images only).

torchvision decodes with libpng and libjpeg(-turbo) through its C++ extension; here Pillow
(which bundles libjpeg-turbo and zlib) decodes the files, and what torchvision asks of the C
libraries on top is done with arrays, so the tensors are torchvision's:

- a PNG is read as stored (8 bits per sample; grey below 8 bits scaled up to 8, a palette
  image as its indices), then converted to the requested ``ImageReadMode`` the way libpng's
  transformations do: palette → RGB (its tRNS chunk → alpha), grey → RGB by repetition, an
  added alpha holding torchvision's filler 2^bit_depth − 1 (255 for 8-bit files), and
  colour → grey by libpng's ``rgb_to_gray`` with torchvision's weights 0.2989 and 0.587, in
  15-bit fixed point::

      Y = (9794 R + 19234 G + 3740 B) >> 15        (truncated)

  or, when the file declares a gamma (a gAMA or sRGB chunk), on libpng's linearised 8-bit
  tables (see ``_png_rgb_to_gray``);
- a JPEG is decoded by libjpeg-turbo with its defaults (integer IDCT, fancy upsampling), as
  torchvision does; GRAY asks the decoder itself for grey (the Y plane), and CMYK files are
  converted to RGB/grey with torchvision's integer formulas;
- ``apply_exif_orientation`` turns the image upright with torchvision's flips and transposes;
- ``encode_jpeg`` gives libjpeg's file for ``jpeg_set_defaults`` + ``jpeg_set_quality``, byte
  for byte; ``encode_png``'s bytes are zlib's through Pillow (libpng may pick other filters),
  holding exactly the same pixels.

Encoded files are 1-D uint8 tensors of their bytes. Every result is a uint8 (C, H, W) tensor;
16-bit PNGs (uint16 in torchvision) are refused, as gradiente has no uint16 dtype.
"""

from __future__ import annotations

import io
import math
import os
import struct
from enum import Enum

from gradiente.backend import xp
from gradiente.tensor import Tensor

__all__ = [
    "ImageReadMode",
    "read_file",
    "write_file",
    "decode_png",
    "encode_png",
    "write_png",
    "decode_jpeg",
    "encode_jpeg",
    "write_jpeg",
    "decode_image",
    "read_image",
]


class ImageReadMode(Enum):
    """The channels to decode into: as stored, grey, grey + alpha, RGB or RGB + alpha.

    Every ``mode`` argument also takes the name as a string (``"RGB"``, case-insensitive).
    """

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA  # an alias


def _as_mode(mode) -> ImageReadMode:
    """An ``ImageReadMode`` from the enum itself or its name."""
    return ImageReadMode[mode.upper()] if isinstance(mode, str) else mode


# ---------------------------------------------------------------------------------------------
# Files and byte tensors
# ---------------------------------------------------------------------------------------------


def read_file(path) -> Tensor:
    """The bytes of a file as a 1-D uint8 tensor."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise RuntimeError(f"[Errno {e.errno}] {e.strerror}: '{path}'") from None
    if not data:
        raise RuntimeError("Expected a non empty file")
    return Tensor._make(xp.frombuffer(data, dtype=xp.uint8).copy())


def write_file(filename, data: Tensor) -> None:
    """Write a 1-D uint8 tensor's bytes to a file."""
    if data.dtype.np != xp.uint8:
        raise RuntimeError("Input tensor dtype should be uint8")
    if data.dim() != 1:
        raise RuntimeError("Input data should be a 1-dimensional tensor")
    with open(os.fspath(filename), "wb") as f:
        f.write(xp.ascontiguousarray(data._data).tobytes())


def _encoded_bytes(data: Tensor) -> bytes:
    """The bytes of an encoded image held in a tensor, with torchvision's checks."""
    if not isinstance(data, Tensor):
        raise TypeError(f"Expected a tensor of encoded bytes, got {type(data)}")
    if data.dtype.np != xp.uint8:
        raise RuntimeError(f"Input tensor must have uint8 data type, got {data.dtype}")
    if data.dim() != 1 or data.numel() == 0:
        raise RuntimeError(
            "Input tensor must be 1-dimensional and non-empty, got "
            f"{data.dim()} dims  and {data.numel()} numels."
        )
    return xp.ascontiguousarray(data._data).tobytes()


def _bytes_tensor(buffer: bytes) -> Tensor:
    """A 1-D uint8 tensor of ``buffer``."""
    return Tensor._make(xp.frombuffer(buffer, dtype=xp.uint8).copy())


def _chw(a: xp.ndarray) -> Tensor:
    """An (H, W) or (H, W, C) uint8 array as a (C, H, W) tensor."""
    if a.ndim == 2:
        a = a[:, :, None]
    return Tensor._make(xp.ascontiguousarray(a.transpose(2, 0, 1)))


def _exif_upright(image: Tensor, orientation) -> Tensor:
    """torchvision's ``exif_orientation_transform``: EXIF orientation 1–8 → upright image.

    2 mirrors left–right, 3 turns 180°, 4 mirrors top–bottom, 5–8 transpose first (then no
    flip, flip left–right, flip both, flip top–bottom).
    """
    a = image._data
    flips = {2: (-1,), 3: (-2, -1), 4: (-2,), 5: (), 6: (-1,), 7: (-2, -1), 8: (-2,)}
    if orientation not in flips:
        return image
    if orientation >= 5:
        a = a.swapaxes(-1, -2)
    for axis in flips[orientation]:
        a = xp.flip(a, axis)
    return Tensor._make(xp.ascontiguousarray(a))


def _orientation(img) -> int:
    """The EXIF orientation tag (0x0112) of a Pillow image, or -1."""
    try:
        return img.getexif().get(0x0112, -1)
    except Exception:  # a damaged EXIF block counts as none, as in torchvision
        return -1


# ---------------------------------------------------------------------------------------------
# PNG
# ---------------------------------------------------------------------------------------------

# PNG colour types: bit 1 colour, bit 2 alpha, bit 0 palette
_GRAY, _RGB, _PALETTE, _GRAY_ALPHA, _RGB_ALPHA = 0, 2, 3, 4, 6
# libpng's rgb_to_gray weights for torchvision's (0.2989, 0.587) in 1/32768:
# red = ⌊29890 · 32768 / 100000⌋, green = ⌊58700 · 32768 / 100000⌋, blue = the rest
_RED_WEIGHT, _GREEN_WEIGHT = 9794, 19234
_BLUE_WEIGHT = 32768 - _RED_WEIGHT - _GREEN_WEIGHT
_FP_1 = 100000  # libpng's fixed point: gamma 0.45455 is 45455
_SRGB_GAMMA = 45455


def _png_chunks(raw: bytes):
    """(type, data) of each chunk before the image data, after the 8-byte signature."""
    pos = 8
    while pos + 8 <= len(raw):
        length, kind = struct.unpack(">I4s", raw[pos : pos + 8])
        if kind == b"IDAT":
            return
        yield kind, raw[pos + 8 : pos + 8 + length]
        pos += 12 + length


def _png_gamma(raw: bytes) -> int:
    """The file's gamma in libpng's fixed point (sRGB implies 45455); 0 when undeclared."""
    gamma = 0
    for kind, data in _png_chunks(raw):
        if kind == b"sRGB":
            return _SRGB_GAMMA
        if kind == b"gAMA" and len(data) == 4:
            gamma = struct.unpack(">I", data)[0]
    return gamma


def _reciprocal(a: int) -> int:
    """libpng's ``png_reciprocal``: 1/a in fixed point, rounded: ⌊10¹⁰ / a + ½⌋."""
    return int(math.floor(1e10 / a + 0.5))


def _gamma_table(gamma: int) -> xp.ndarray:
    """libpng's 8-bit table for exponent ``gamma``: ⌊255 (v/255)^γ + ½⌋, 0 and 255 fixed.

    An exponent within 1 ± 0.05 gives the identity.
    """
    v = xp.arange(256, dtype=xp.float64)
    if not _significant(gamma):
        return v.astype(xp.uint8)
    table = xp.floor(255 * (v / 255.0) ** (gamma * 0.00001) + 0.5).astype(xp.uint8)
    table[0], table[255] = 0, 255
    return table


def _significant(gamma: int) -> bool:
    """libpng's ``png_gamma_significant``: outside 1 ± 0.05."""
    return gamma < _FP_1 - 5000 or gamma > _FP_1 + 5000


def _png_rgb_to_gray(rgb: xp.ndarray, file_gamma: int) -> xp.ndarray:
    """libpng's ``rgb_to_gray`` on (…, 3) uint8 pixels with torchvision's weights.

    Without a significant gamma: Y = (wr R + wg G + wb B) >> 15. With one (libpng then sets
    the screen gamma to 1/file gamma), the channels go through the 8-bit table of exponent
    1/γ_file to linear light, are weighted with rounding (+ 2¹⁴), and come back through the
    table of exponent 1/γ_screen. Grey pixels (R = G = B) are copied either way.
    """
    r, g, b = (rgb[..., i].astype(xp.uint32) for i in range(3))
    grey = (r == g) & (r == b)
    if file_gamma and _significant(file_gamma):
        screen = _reciprocal(file_gamma)
        to_linear = _gamma_table(_reciprocal(file_gamma))
        from_linear = _gamma_table(_reciprocal(screen))
        r, g, b = (to_linear[c].astype(xp.uint32) for c in (r, g, b))
        weighted = (_RED_WEIGHT * r + _GREEN_WEIGHT * g + _BLUE_WEIGHT * b + 16384) >> 15
        y = from_linear[weighted]
    else:
        y = ((_RED_WEIGHT * r + _GREEN_WEIGHT * g + _BLUE_WEIGHT * b) >> 15).astype(xp.uint8)
    return xp.where(grey, rgb[..., 0], y)


def _png_expand_palette(indices: xp.ndarray, img) -> xp.ndarray:
    """Palette indices → RGB, or RGBA where the file has a tRNS chunk (libpng's expand)."""
    palette = xp.asarray(img.getpalette("RGB"), dtype=xp.uint8).reshape(-1, 3)
    if len(palette) < 256:
        palette = xp.concatenate([palette, xp.zeros((256 - len(palette), 3), xp.uint8)])
    transparency = img.info.get("transparency")
    if transparency is None:
        return palette[indices]
    alpha = xp.full(256, 255, dtype=xp.uint8)
    if isinstance(transparency, int):  # Pillow's form of "one index fully transparent"
        alpha[transparency] = 0
    else:
        alpha[: len(transparency)] = xp.frombuffer(transparency, dtype=xp.uint8)[:256]
    return xp.concatenate([palette, alpha[:, None]], axis=1)[indices]


def _png_convert(a: xp.ndarray, color_type: int, mode: ImageReadMode, img, raw) -> xp.ndarray:
    """The decoded (H, W, C) samples in the channels of ``mode``, as libpng transforms them.

    An added alpha channel holds torchvision's filler (2^bit_depth − 1) written after the
    expansion to 8 bits: 255, but 1, 3 or 15 for 1-, 2- or 4-bit grey files. (A palette file
    without tRNS read with alpha is undefined in torchvision: it gets 255 here.)
    """
    if mode == ImageReadMode.UNCHANGED:
        return a
    wanted = {
        ImageReadMode.GRAY: _GRAY,
        ImageReadMode.GRAY_ALPHA: _GRAY_ALPHA,
        ImageReadMode.RGB: _RGB,
        ImageReadMode.RGB_ALPHA: _RGB_ALPHA,
    }
    if mode not in wanted:
        raise RuntimeError("The provided mode is not supported for PNG files")
    if color_type == wanted[mode]:
        return a
    if color_type == _PALETTE:
        a = _png_expand_palette(a[..., 0], img)
    filler = 255 if color_type == _PALETTE else (1 << raw[24]) - 1
    if a.shape[-1] in (2, 4):
        alpha = a[..., -1:]
    else:
        alpha = xp.full(a.shape[:2] + (1,), filler, xp.uint8)
    colour = a[..., :3] if a.shape[-1] >= 3 else a[..., :1]
    if mode in (ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA):
        if colour.shape[-1] == 3:
            colour = _png_rgb_to_gray(colour, _png_gamma(raw))[..., None]
    else:
        colour = xp.repeat(colour, 3 // colour.shape[-1], axis=-1)
    if mode in (ImageReadMode.GRAY_ALPHA, ImageReadMode.RGB_ALPHA):
        return xp.concatenate([colour, alpha], axis=-1)
    return colour


def decode_png(input: Tensor, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """Decode PNG bytes (a 1-D uint8 tensor) into a uint8 (C, H, W) tensor.

    ``UNCHANGED`` keeps the stored channels (a palette image gives its indices, also below 8
    bits per index, where torchvision returns the packed bytes); the other modes convert as
    libpng does for torchvision (see the module docstring).
    """
    from PIL import Image  # Pillow: a runtime dependency

    raw = _encoded_bytes(input)
    mode = _as_mode(mode)
    if len(raw) < 8:
        raise RuntimeError("Content is too small for png!")
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise RuntimeError("Content is not png!")
    bit_depth, color_type = raw[24], raw[25]  # in IHDR, after signature, length, type, size
    if bit_depth == 16:
        raise RuntimeError("16-bit PNG images decode to uint16, which gradiente does not have")
    img = Image.open(io.BytesIO(raw))
    img.load()
    if img.mode == "1":  # 1-bit grey: libpng scales it up to 0/255
        img = img.convert("L")
    a = xp.asarray(img)
    if a.ndim == 2:
        a = a[:, :, None]
    out = _chw(_png_convert(a, color_type, mode, img, raw))
    if apply_exif_orientation:
        out = _exif_upright(out, _orientation(img))
    return out


def encode_png(input: Tensor, compression_level: int = 6) -> Tensor:
    """A uint8 (C, H, W) image, C ∈ {1, 3}, as the bytes of a PNG file (1-D uint8 tensor).

    ``compression_level`` is zlib's, 0–9. The file's bytes may differ from libpng's (filter
    choice); the pixels it holds are exactly the input.
    """
    from PIL import Image

    if not 0 <= compression_level <= 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    a = _image_to_encode(input)
    buffer = io.BytesIO()
    Image.fromarray(a).save(buffer, format="PNG", compress_level=compression_level)
    return _bytes_tensor(buffer.getvalue())


def write_png(input: Tensor, filename, compression_level: int = 6) -> None:
    """Encode a uint8 (C, H, W) image as PNG and write it to ``filename``."""
    write_file(filename, encode_png(input, compression_level))


def _image_to_encode(input: Tensor) -> xp.ndarray:
    """A uint8 (C, H, W) tensor, C ∈ {1, 3}, as the (H, W[, 3]) array Pillow encodes."""
    if input.dtype.np != xp.uint8:
        raise RuntimeError("Input tensor dtype should be uint8")
    if input.dim() != 3:
        raise RuntimeError("Input data should be a 3-dimensional tensor")
    channels = input.size(0)
    if channels not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {channels}")
    a = input._data.transpose(1, 2, 0)
    return xp.ascontiguousarray(a[:, :, 0] if channels == 1 else a)


# ---------------------------------------------------------------------------------------------
# JPEG
# ---------------------------------------------------------------------------------------------


def _cmyk_to_rgb(cmyk: xp.ndarray) -> xp.ndarray:
    """torchvision's CMYK → RGB on libjpeg's raw samples: k − k·(255 − c)/255, in integers.

    v = k (255 − c) + 128; v = ((v >> 8) + v) >> 8 (≈ v/255 rounded); channel = clamp(k − v).
    """
    c = cmyk.astype(xp.int32)
    k = c[..., 3:4]
    v = k * (255 - c[..., :3]) + 128
    v = ((v >> 8) + v) >> 8
    return xp.clip(k - v, 0, 255).astype(xp.uint8)


def _rgb_to_gray_pillow(rgb: xp.ndarray) -> xp.ndarray:
    """torchvision's grey for CMYK files: (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16."""
    r, g, b = (rgb[..., i].astype(xp.uint32) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(xp.uint8)


def _decode_one_jpeg(raw: bytes, mode: ImageReadMode, apply_exif_orientation: bool) -> Tensor:
    """One JPEG's bytes → uint8 (C, H, W), libjpeg's output for torchvision's settings."""
    from PIL import Image

    if mode not in (ImageReadMode.UNCHANGED, ImageReadMode.GRAY, ImageReadMode.RGB):
        raise RuntimeError("The provided mode is not supported for JPEG files")
    try:
        img = Image.open(io.BytesIO(raw), formats=["JPEG"])
        if mode == ImageReadMode.GRAY and img.mode in ("RGB", "YCbCr"):
            img.draft("L", img.size)  # libjpeg itself outputs grey (the Y plane)
        inverted = img.mode == "CMYK" and img.tile[0][3][0] == "CMYK;I"
        img.load()
    except Exception as e:  # Pillow's own wording; torchvision raises RuntimeError
        raise RuntimeError(str(e)) from None
    a = xp.asarray(img)
    if img.mode == "CMYK":
        if inverted:  # Pillow inverts Adobe CMYK; libjpeg hands the stored samples over
            a = 255 - a
        if mode != ImageReadMode.UNCHANGED:
            a = _cmyk_to_rgb(a)
            if mode == ImageReadMode.GRAY:
                a = _rgb_to_gray_pillow(a)
    elif mode == ImageReadMode.RGB and a.ndim == 2:
        a = xp.repeat(a[:, :, None], 3, axis=2)  # libjpeg's grey → RGB
    out = _chw(a)
    if apply_exif_orientation:
        out = _exif_upright(out, _orientation(img))
    return out


def decode_jpeg(
    input,
    mode=ImageReadMode.UNCHANGED,
    device="cpu",
    apply_exif_orientation: bool = False,
):
    """Decode JPEG bytes (a 1-D uint8 tensor, or a list of them) into uint8 (C, H, W).

    ``mode`` is UNCHANGED, GRAY or RGB (others raise, as torchvision's). ``device`` must be
    the CPU: gradiente has no nvJPEG.
    """
    mode = _as_mode(mode)
    if str(device) != "cpu":
        raise RuntimeError(f"decode_jpeg on {device} is not available: gradiente runs on the CPU")
    if isinstance(input, list):
        if len(input) == 0:
            raise ValueError("Input list must contain at least one element")
        if not all(isinstance(t, Tensor) for t in input):
            raise ValueError("All elements of the input list must be tensors.")
        return [_decode_one_jpeg(_encoded_bytes(t), mode, apply_exif_orientation) for t in input]
    return _decode_one_jpeg(_encoded_bytes(input), mode, apply_exif_orientation)


def _encode_one_jpeg(input: Tensor, quality: int) -> Tensor:
    """One uint8 (C, H, W) image → JPEG bytes (libjpeg defaults, 4:2:0 chroma for RGB)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(_image_to_encode(input)).save(buffer, format="JPEG", quality=quality)
    return _bytes_tensor(buffer.getvalue())


def encode_jpeg(input, quality: int = 75):
    """A uint8 (C, H, W) image (C ∈ {1, 3}), or a list of them, as JPEG bytes at ``quality``."""
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, list):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is passed")
        return [_encode_one_jpeg(image, quality) for image in input]
    return _encode_one_jpeg(input, quality)


def write_jpeg(input: Tensor, filename, quality: int = 75) -> None:
    """Encode a uint8 (C, H, W) image as JPEG and write it to ``filename``."""
    write_file(filename, encode_jpeg(input, quality))


# ---------------------------------------------------------------------------------------------
# Any format
# ---------------------------------------------------------------------------------------------


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """Decode a JPEG or PNG, given as its bytes (1-D uint8 tensor) or a path, into (C, H, W).

    The format is told by the leading bytes (FF D8 FF: JPEG; 89 'PNG': PNG), as in torchvision.
    """
    if not isinstance(input, Tensor):
        input = read_file(str(input))
    mode = _as_mode(mode)
    raw = _encoded_bytes(input)
    if raw[:3] == b"\xff\xd8\xff":
        return _decode_one_jpeg(raw, mode, apply_exif_orientation)
    if raw[:4] == b"\x89PNG":
        return decode_png(input, mode, apply_exif_orientation)
    raise RuntimeError(
        "Unsupported image file. Only jpeg and png are currently supported in gradiente "
        "(torchvision also reads gif, webp, avif and heic)."
    )


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """Read a JPEG or PNG file into a uint8 (C, H, W) tensor (``decode_image`` of its bytes)."""
    return decode_image(read_file(path), mode, apply_exif_orientation=apply_exif_orientation)
