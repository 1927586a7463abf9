"""2-D convolutions of CUDA arrays as cuDNN graphs (NVIDIA's cuDNN frontend, ``import cudnn``).

cuDNN computes the three products of a convolution layer directly, without the im2col
columns that ``ops/device_conv.py`` writes (9x the input for a 3x3 kernel):

    fprop   y  = conv(x, W)                 image x, weight W  -> y  (N, O, OH, OW)
    dgrad   dx = conv_dgrad(dy, W)          loss dy, filter W  -> dx (N, C, H, W)
    wgrad   dW = conv_wgrad(x, dy)          image x, loss dy   -> dW (O, C/G, kh, kw)

Groups are implied by the shapes (W has C/G input channels). Each graph is built once per
(kind, shapes, strides, dtype, padding, stride, dilation, device, TF32) and cached, as the
frontend's documentation advises: validate, build the operation graph, ask the heuristics for
plans (mode A, then the fallback list), check support, build the plans; then each call only
executes it on the arrays.

This path cannot be tested where there is no GPU, so it guards itself:

- anything the frontend refuses (an unsupported shape or dtype, a missing library) makes
  this function return None, and the caller takes the im2col path; the refusal is remembered
  per graph and reported once as a warning;
- the first time each graph runs, its result is compared with the im2col path's on the same
  arrays (to 5e-3 of the result's largest magnitude with TF32 or float16, 1e-5 in float32
  without TF32, 1e-10 in float64). A graph that disagrees is never used again, with a warning,
  and the im2col result is returned. This catches a wrong layout, stride or padding at once.

``gradiente.backends.cudnn.enabled`` and ``allow_tf32`` are read at each call.
"""

from __future__ import annotations

import warnings

from gradiente.backends import cudnn as settings

_graphs: dict = {}  # key -> _Graph, or the reason (a str) the graph is not used
_handles: dict = {}  # device index -> cuDNN handle
_module = []  # [the frontend module or None], once looked for


class _Graph:
    """A built cuDNN graph: its three tensors (two inputs, one output), its workspace size,
    and whether its result was already checked against the im2col path."""

    def __init__(self, graph, a, b, out, workspace: int):
        self.graph, self.a, self.b, self.out, self.workspace = graph, a, b, out, workspace
        self.checked = False


def _frontend():
    if not _module:
        _module.append(settings.frontend())
    return _module[0]


def _data_types(cudnn, dtype):
    """(io, compute) cuDNN data types for a NumPy dtype, or None when cuDNN has none."""
    name = str(dtype)
    if name == "float64":
        return cudnn.data_type.DOUBLE, cudnn.data_type.DOUBLE
    if name == "float32":
        return cudnn.data_type.FLOAT, cudnn.data_type.FLOAT
    if name == "float16":
        return cudnn.data_type.HALF, cudnn.data_type.FLOAT
    return None


def _handle(cudnn, m, device: int):
    handle = _handles.get(device)
    if handle is None:
        handle = _handles[device] = cudnn.create_handle()
    stream = getattr(m.cuda, "get_current_stream", None)
    if stream is not None and hasattr(cudnn, "set_stream"):
        cudnn.set_stream(handle=handle, stream=stream().ptr)  # CuPy's current stream
    return handle


def _strides(a) -> list:
    """Strides in elements, as cuDNN's tensors take them (NumPy and CuPy count bytes)."""
    return [s // a.itemsize for s in a.strides]


def _symmetric_padding(geom):
    pt, pb, pl, pr = geom.padding
    return [pt, pl] if (pt, pl) == (pb, pr) else None


def _build(cudnn, handle, kind, a, b, out_shape, out_strides, geom, tf32):
    """Build the cuDNN graph of ``kind`` for arrays like a, b and an output (out_shape)."""
    io_type, compute_type = _data_types(cudnn, a.dtype)
    graph = cudnn.pygraph(
        handle=handle,
        io_data_type=io_type,
        intermediate_data_type=compute_type,
        compute_data_type=compute_type,
    )
    ta = graph.tensor(name="a", dim=list(a.shape), stride=_strides(a), data_type=io_type)
    tb = graph.tensor(name="b", dim=list(b.shape), stride=_strides(b), data_type=io_type)
    options = {
        "padding": _symmetric_padding(geom),
        "stride": list(geom.stride),
        "dilation": list(geom.dilation),
    }
    if kind == "fprop":
        out = graph.conv_fprop(image=ta, weight=tb, **options)
    elif kind == "dgrad":
        out = graph.conv_dgrad(loss=ta, filter=tb, **options)
    else:
        out = graph.conv_wgrad(image=ta, loss=tb, **options)
    out.set_output(True).set_dim(list(out_shape)).set_stride(list(out_strides))
    graph.validate()
    graph.build_operation_graph()
    graph.create_execution_plans([cudnn.heur_mode.A, cudnn.heur_mode.FALLBACK])
    if str(a.dtype) == "float32" and not tf32:
        # Plans on tensor cores compute float32 products in TF32: leave them out.
        graph.deselect_numeric_notes([cudnn.numerical_note.TENSOR_CORE])
    graph.check_support()
    graph.build_plans()
    return _Graph(graph, ta, tb, out, int(graph.get_workspace_size()))


def _tolerance(dtype, tf32: bool) -> float:
    name = str(dtype)
    if name == "float64":
        return 1e-10
    if name == "float16" or tf32:
        return 5e-3  # (TF32 products: 10-bit mantissas; 3e-4 measured on an H200 by the issue)
    return 1e-4  # (cuDNN's Winograd and FFT engines round more than a plain sum of products)


def _agrees(m, got, want, tolerance: float) -> bool:
    """Whether got equals want to ``tolerance`` of want's largest magnitude."""
    if not want.size:
        return True
    return float(m.abs(got - want).max()) <= tolerance * float(m.abs(want).max())


def _refuse(key, reason: str) -> None:
    _graphs[key] = reason
    warnings.warn(f"cuDNN not used for {key[0]} {key[1:4]}: {reason}; using im2col", stacklevel=4)


def run(m, kind: str, a, b, out_shape, geom, reference):
    """The cuDNN result of ``kind`` ("fprop", "dgrad" or "wgrad") on device arrays a and b,
    an array of ``out_shape``; or None when cuDNN is off, missing or refuses this graph.

    ``reference()`` computes the same result by the im2col path; it is called once per graph,
    to check cuDNN's first result (see the module's docstring).
    """
    cudnn = _frontend() if settings.enabled else None
    if cudnn is None or _data_types(cudnn, a.dtype) is None or _symmetric_padding(geom) is None:
        return None
    a, b = m.ascontiguousarray(a), m.ascontiguousarray(b)
    tf32 = bool(settings.allow_tf32) and str(a.dtype) == "float32"
    device = int(a.device.id)
    key = (kind, a.shape, b.shape, tuple(out_shape), str(a.dtype), geom.padding, geom.stride,
           geom.dilation, device, tf32)  # fmt: skip
    entry = _graphs.get(key)
    if isinstance(entry, str):
        return None
    out = m.empty(out_shape, dtype=a.dtype)
    try:
        handle = _handle(cudnn, m, device)
        if entry is None:
            entry = _graphs[key] = _build(
                cudnn, handle, kind, a, b, out_shape, _strides(out), geom, tf32
            )
        workspace = m.empty(max(entry.workspace, 1), dtype=m.uint8)
        entry.graph.execute({entry.a: a, entry.b: b, entry.out: out}, workspace, handle=handle)
    except Exception as error:  # noqa: BLE001 - any refusal: the im2col path instead
        _refuse(key, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
        return None
    if not entry.checked:
        want = reference()
        if not bool(m.isfinite(want).all()):
            return want  # (∞ or NaN: no scale to compare at; check on a later call)
        if not _agrees(m, out, want, _tolerance(a.dtype, tf32)):
            _refuse(key, "its first result disagreed with the im2col path")
            return want
        entry.checked = True
    return out


def forget() -> None:
    """Drop every cached graph and refusal (for tests, and after changing devices)."""
    _graphs.clear()
    _handles.clear()
    _module.clear()
