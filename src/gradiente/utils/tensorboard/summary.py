"""TensorBoard ``Summary`` protocol buffers from numbers, arrays and images.

TensorBoard reads *event files*: a sequence of ``Event`` records, each holding a wall time, a
global step and a ``Summary``, which is a list of tagged values. What a value is decides
which dashboard shows it:

- a scalar: ``simple_value`` (one float; the Scalars dashboard);
- a histogram: ``HistogramProto`` — min, max, count, sum, sum of squares and the bucket
  counts with each bucket's right edge (the Histograms and Distributions dashboards);
- an image: ``Summary.Image`` — a PNG and its height, width and number of channels;
- text: a string tensor tagged with the ``text`` plugin;
- hyperparameters: three values for the ``hparams`` plugin (the experiment's columns, the
  session's hyperparameter values, the session's end).

This module needs the ``tensorboard`` package (``pip install 'gradiente[tensorboard]'``);
``SummaryWriter`` imports it only when it is constructed.
"""

from __future__ import annotations

import io

import numpy as np
from google.protobuf import struct_pb2
from PIL import Image
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.hparams import api_pb2, metadata
from tensorboard.plugins.hparams.plugin_data_pb2 import (
    HParamsPluginData,
    SessionEndInfo,
    SessionStartInfo,
)
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData


def to_numpy(value) -> np.ndarray:
    """A tensor (gradiente's or anything with ``.numpy()``), array or number as an array."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu"):
        value = value.cpu()
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    return np.asarray(value)


# ------------------------------------------------------------------------------ scalars
def scalar(tag: str, value) -> Summary:
    """One number under ``tag``: a Python number or a one-element tensor/array."""
    array = to_numpy(value)
    if array.size != 1:
        raise ValueError(
            f"add_scalar({tag!r}): a scalar has one element, got shape {tuple(array.shape)}"
        )
    return Summary(value=[Summary.Value(tag=tag, simple_value=float(array.reshape(()).item()))])


# ------------------------------------------------------------------------------ histograms
def default_bins() -> list[float]:
    """TensorFlow's default bucket edges: ±1e-12·1.1^k up to 1e20, and 0 (1,549 edges).

    Geometric buckets resolve small and large magnitudes alike, which suits weights and
    gradients spanning many orders of magnitude.
    """
    positive = []
    v = 1e-12
    while v < 1e20:
        positive.append(v)
        v *= 1.1
    return [-b for b in reversed(positive)] + [0.0] + positive


def histogram(tag: str, values, bins="tensorflow", max_bins: int | None = None) -> Summary:
    """A histogram of ``values`` (any shape, flattened) under ``tag``.

    ``bins`` is ``"tensorflow"`` (``default_bins``), a number of equal bins, a NumPy rule name
    (``"auto"``, ``"fd"``, ...) or a sequence of edges, as for ``numpy.histogram``;
    ``max_bins`` merges neighbouring buckets until there are at most that many.
    """
    x = to_numpy(values).astype(np.float64).reshape(-1)
    if x.size == 0:
        raise ValueError(f"add_histogram({tag!r}): the input has no element")
    if isinstance(bins, str) and bins == "tensorflow":
        bins = default_bins()
    counts, edges = np.histogram(x, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        counts, edges = _merge_buckets(counts, edges, len(counts) // max_bins)
    counts, right_edges = _trim(counts, edges)
    proto = HistogramProto(
        min=float(x.min()),
        max=float(x.max()),
        num=int(x.size),
        sum=float(x.sum()),
        sum_squares=float(x @ x),
        bucket_limit=right_edges.tolist(),
        bucket=counts.tolist(),
    )
    return Summary(value=[Summary.Value(tag=tag, histo=proto)])


def _merge_buckets(counts: np.ndarray, edges: np.ndarray, k: int):
    """Every ``k`` neighbouring buckets as one (the last group padded with empty buckets)."""
    pad = (-len(counts)) % k
    merged = np.pad(counts, (0, pad)).reshape(-1, k).sum(axis=1)
    new_edges = np.append(edges[:-1:k], edges[-1])
    return merged, new_edges


def _trim(counts: np.ndarray, edges: np.ndarray):
    """The buckets from the first to the last non-empty one, as (counts, right edges).

    A ``HistogramProto`` stores only each bucket's right edge; the left edge of a bucket is
    the right edge of the one before. So that the first non-empty bucket keeps its left edge,
    one (empty) bucket is kept before it — the bucket to its left, or a new one of zero width
    at the lowest edge when there is none.
    """
    filled = np.flatnonzero(counts)
    first, last = int(filled[0]), int(filled[-1])
    if first > 0:
        return counts[first - 1 : last + 1], edges[first : last + 2]
    return np.concatenate([[0], counts[: last + 1]]), edges[: last + 2]


# ------------------------------------------------------------------------------ images
def to_hwc(image: np.ndarray, dataformats: str) -> np.ndarray:
    """An image in layout ``dataformats`` (``CHW``, ``HWC``, ``HW``, ``NCHW``, ...) as
    (H, W, C) with C = 3 or 4: grey images become RGB, a batch becomes a grid of 8 columns."""
    dataformats = dataformats.upper()
    if len(set(dataformats)) != len(dataformats) or not set(dataformats) <= set("NCHW"):
        raise ValueError(f"dataformats {dataformats!r} must name each of N, C, H, W at most once")
    if image.ndim != len(dataformats):
        raise ValueError(
            f"an image of shape {tuple(image.shape)} does not match dataformats {dataformats!r}"
        )
    if len(dataformats) == 4:
        batch = image.transpose([dataformats.index(c) for c in "NCHW"])
        return _grid(batch).transpose(1, 2, 0)
    if len(dataformats) == 3:
        hwc = image.transpose([dataformats.index(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, axis=2) if hwc.shape[2] == 1 else hwc
    if len(dataformats) == 2:
        hw = image.transpose([dataformats.index(c) for c in "HW"])
        return np.stack([hw] * 3, axis=2)
    raise ValueError(f"dataformats {dataformats!r} must have 2, 3 or 4 letters")


def _grid(batch: np.ndarray, ncols: int = 8) -> np.ndarray:
    """(N, 1 or 3, H, W) images side by side, ``ncols`` a row: one (3, rows·H, cols·W) image."""
    if batch.shape[1] == 1:
        batch = np.concatenate([batch] * 3, axis=1)
    n, c, h, w = batch.shape
    if c != 3:
        raise ValueError(f"a batch of images needs 1 or 3 channels, got {c}")
    ncols = min(n, ncols)
    nrows = -(-n // ncols)  # ceil(n / ncols)
    canvas = np.zeros((3, nrows * h, ncols * w), dtype=batch.dtype)
    for i in range(n):
        row, col = divmod(i, ncols)
        canvas[:, row * h : (row + 1) * h, col * w : (col + 1) * w] = batch[i]
    return canvas


def image(tag: str, tensor, dataformats: str = "CHW") -> Summary:
    """One image (or a batch as a grid) under ``tag``, stored as a PNG.

    Floating images are taken in [0, 1] and scaled by 255; ``uint8`` images are taken as they
    are. Values outside [0, 255] after scaling are clipped.
    """
    array = to_numpy(tensor)
    hwc = to_hwc(array, dataformats)
    scale = 1 if array.dtype == np.uint8 else 255
    pixels = (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    height, width, channels = pixels.shape
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    encoded = Summary.Image(
        height=height,
        width=width,
        colorspace=channels,
        encoded_image_string=buffer.getvalue(),
    )
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


# ------------------------------------------------------------------------------ text
def text(tag: str, string: str) -> Summary:
    """A string (Markdown in the Text dashboard) under ``tag + "/text_summary"``."""
    plugin = SummaryMetadata.PluginData(
        plugin_name="text", content=TextPluginData(version=0).SerializeToString()
    )
    tensor = TensorProto(
        dtype="DT_STRING",
        string_val=[string.encode("utf-8")],
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]),
    )
    return Summary(
        value=[
            Summary.Value(
                tag=tag + "/text_summary",
                metadata=SummaryMetadata(plugin_data=plugin),
                tensor=tensor,
            )
        ]
    )


# ------------------------------------------------------------------------------ hparams
def _hparams_value(tag: str, data: HParamsPluginData) -> Summary:
    """One summary value carrying hparams plugin data (the value itself is empty)."""
    plugin = SummaryMetadata.PluginData(
        plugin_name=metadata.PLUGIN_NAME, content=data.SerializeToString()
    )
    return Summary(value=[Summary.Value(tag=tag, metadata=SummaryMetadata(plugin_data=plugin))])


def _hparam_kind(name: str, value) -> tuple[str, str]:
    """(the ``struct_pb2.Value`` field, the hparams ``DataType``) for one hyperparameter."""
    # A bool is an int in Python, so PyTorch stores it as the number 0 or 1; so do we.
    if isinstance(value, int | float):
        return "number_value", "DATA_TYPE_FLOAT64"
    if isinstance(value, str):
        return "string_value", "DATA_TYPE_STRING"
    raise ValueError(
        f"add_hparams: the value of {name!r} must be a bool, int, float, str or a one-element "
        f"tensor, got {type(value).__name__}"
    )


def hparams(
    hparam_dict: dict, metric_dict: dict, hparam_domain_discrete: dict | None = None
) -> tuple[Summary, Summary, Summary]:
    """The hparams plugin's three summaries: the experiment (which hyperparameters and
    metrics are columns), the session start (this run's values) and the session end."""
    domains = hparam_domain_discrete or {}
    for name, choices in domains.items():
        if name not in hparam_dict or not isinstance(choices, list):
            raise TypeError(
                f"add_hparams: hparam_domain_discrete[{name!r}] must be a list of the values "
                f"that hparam_dict[{name!r}] can take"
            )
    start = SessionStartInfo()
    infos = []
    for name, value in hparam_dict.items():
        if value is None:
            continue
        if hasattr(value, "numpy") or isinstance(value, np.ndarray | np.generic):
            value = to_numpy(value).reshape(-1)[0].item()  # a tensor or array: its number
        field, dtype = _hparam_kind(name, value)
        setattr(start.hparams[name], field, value)
        domain = None
        if name in domains:
            domain = struct_pb2.ListValue(
                values=[struct_pb2.Value(**{field: choice}) for choice in domains[name]]
            )
        infos.append(
            api_pb2.HParamInfo(
                name=name, type=api_pb2.DataType.Value(dtype), domain_discrete=domain
            )
        )
    experiment = api_pb2.Experiment(
        hparam_infos=infos,
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict],
    )
    version = metadata.PLUGIN_DATA_VERSION
    end = SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))
    return (
        _hparams_value(
            metadata.EXPERIMENT_TAG, HParamsPluginData(experiment=experiment, version=version)
        ),
        _hparams_value(
            metadata.SESSION_START_INFO_TAG,
            HParamsPluginData(session_start_info=start, version=version),
        ),
        _hparams_value(
            metadata.SESSION_END_INFO_TAG,
            HParamsPluginData(session_end_info=end, version=version),
        ),
    )
