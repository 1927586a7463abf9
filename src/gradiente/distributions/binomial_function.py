"""``torch.binomial(count, prob)``: one Binomial(count, prob) draw per element, the sampler
behind ``Binomial.sample`` (see ``distributions/binomial.py``), as a top-level function."""

from __future__ import annotations

from gradiente import backend as B
from gradiente.backend import broadcast_error, xp
from gradiente.distributions.binomial import _binomial
from gradiente.tensor import write_out

__all__ = ["binomial"]


def binomial(count, prob, generator=None, *, out=None):
    """One Binomial(count, prob) draw per element (``count`` and ``prob`` broadcast; both
    floating, of one dtype), drawn as torch's CPU sampler draws, so a seeded run gives
    torch's numbers."""
    for name, t in (("count", count), ("prob", prob)):
        if not t.is_floating_point():
            raise ValueError(
                f"binomial only supports floating-point dtypes for {name}, got: "
                f"{B.torch_type_name(t._data.dtype)}"
            )
    if count.dtype != prob.dtype:
        raise RuntimeError(
            f"Found dtype {B.torch_type_name(prob._data.dtype)} but expected "
            f"{B.torch_type_name(count._data.dtype)}"
        )
    error = broadcast_error(count.shape, prob.shape)
    if error is not None:
        raise error
    shape = xp.broadcast_shapes(count.shape, prob.shape)
    result = _binomial(count.expand(shape), prob.expand(shape), generator)
    return write_out(out, result, "binomial")
