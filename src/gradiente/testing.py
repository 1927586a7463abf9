"""``torch.testing``: ``assert_close`` with PyTorch's default tolerances per dtype."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.tensor import Tensor, as_tensor

# (rtol, atol) by dtype, as in PyTorch: exact for integers and booleans
_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}


def _tensor(value) -> Tensor:
    return value if isinstance(value, Tensor) else as_tensor(value)


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses=True,
    rtol=None,
    atol=None,
    equal_nan=False,
    check_device=True,
    check_dtype=True,
    check_layout=True,
    check_stride=False,
    msg=None,
) -> None:
    """Raise ``AssertionError`` unless |actual − expected| ≤ atol + rtol·|expected| everywhere
    (same shape, and same dtype unless ``check_dtype=False``). Sequences and mappings are
    compared item by item."""
    if isinstance(expected, (list, tuple)) and not isinstance(actual, Tensor):
        if len(actual) != len(expected):
            raise AssertionError(
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
            )
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype)
        return
    if isinstance(expected, dict):
        for key in expected:
            assert_close(actual[key], expected[key], rtol=rtol, atol=atol, equal_nan=equal_nan)
        return
    a, e = _tensor(actual), _tensor(expected)
    if a.shape != e.shape:
        raise AssertionError(
            msg or f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}."
        )
    if check_dtype and a.dtype is not e.dtype:
        raise AssertionError(
            msg or f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}."
        )
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted")
    if rtol is None:
        rtol, atol = max(
            _TOLERANCES.get(a.dtype.name, (0.0, 0.0)), _TOLERANCES.get(e.dtype.name, (0.0, 0.0))
        )
    x = a._data.astype(xp.float64) if a._data.dtype.kind != "b" else a._data
    y = e._data.astype(xp.float64) if e._data.dtype.kind != "b" else e._data
    close = xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    if msg is not None:
        raise AssertionError(msg)
    bad = int((~close).sum())
    diff = xp.abs(x.astype(xp.float64) - y.astype(xp.float64))
    where = xp.unravel_index(xp.argmax(xp.where(close, -1, diff)), diff.shape)
    rel = diff / xp.abs(y.astype(xp.float64))
    kind = "Scalars" if a.ndim == 0 else "Tensor-likes"
    raise AssertionError(
        f"{kind} are not close!\n\nMismatched elements: {bad} / {close.size} "
        f"({100.0 * bad / close.size:.1f}%)\n"
        f"Greatest absolute difference: {diff.max()} at index {tuple(int(i) for i in where)} "
        f"(up to {atol} allowed)\nGreatest relative difference: {xp.nanmax(rel)} "
        f"(up to {rtol} allowed)"
    )


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg="") -> None:
    """The deprecated spelling of ``assert_close`` (no dtype check)."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False)
