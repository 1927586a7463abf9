"""Tensor methods that torch has as second names or as no-ops on real tensors: ``hsplit``,
``vsplit``, ``dsplit``, ``split_with_sizes``, ``adjoint``, ``hardshrink``, the complex-number
views ``conj``/``resolve_conj``/``resolve_neg`` (gradiente's tensors are real, so these return
the tensor itself, as torch does for a real tensor), ``output_nr`` and the deprecated
out-of-place ``resize_as``."""

from __future__ import annotations

import warnings

from gradiente.ops import activation as A
from gradiente.tensor.marks import inplace

Tensor = None  # the assembled class, bound by gradiente.tensor (see its __init__)


class TorchAliases:
    """Tensor methods: torch's second names and the real-tensor no-ops."""

    __slots__ = ()

    def hsplit(self, indices_or_sections):
        """``torch.hsplit``: split along dim 1 (dim 0 for a 1-D tensor)."""
        from gradiente.functions.joining import hsplit  # noqa: PLC0415 - functions import us

        return hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        """``torch.vsplit``: split along dim 0."""
        from gradiente.functions.joining import vsplit  # noqa: PLC0415

        return vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        """``torch.dsplit``: split along dim 2."""
        from gradiente.functions.joining import dsplit  # noqa: PLC0415

        return dsplit(self, indices_or_sections)

    def split_with_sizes(self, split_sizes, dim: int = 0):
        """``split`` with a list of sizes, which must add up to the size of ``dim``."""
        return self.split(list(split_sizes), dim)

    def adjoint(self):
        """The conjugate transpose of the last two dims: their transpose, for real tensors."""
        if self.ndim < 2:
            raise RuntimeError(
                "tensor.adjoint() is only supported on matrices or batches of matrices. "
                f"Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    def hardshrink(self, lambd: float = 0.5):
        """x where |x| > λ, else 0 (``F.hardshrink``)."""
        return A.Hardshrink.apply(self, lambd)

    def conj(self):
        """The complex conjugate: the tensor itself, for a real tensor (as in torch)."""
        return self

    def resolve_conj(self):
        """Materialise a lazy conjugation: there is none on a real tensor, so the tensor itself."""
        return self

    def resolve_neg(self):
        """Materialise a lazy negation (torch's for complex views): the tensor itself here."""
        return self

    @inplace(function=True)
    def conj_physical(self):
        """The conjugate as a new tensor: a copy, for a real tensor."""
        return self.clone()

    def is_conj(self) -> bool:
        """Whether the conjugate bit is set: never, on a real tensor."""
        return False

    def is_neg(self) -> bool:
        """Whether the negative bit is set: never, on a real tensor."""
        return False

    @property
    def output_nr(self) -> int:
        """Which output of its ``grad_fn`` this tensor is (0 for a leaf)."""
        return self._output_nr

    def resize_as(self, the_template):
        """Deprecated out-of-place ``resize_as_``: a resized copy (torch warns the same)."""
        warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
        return self.detach().clone().resize_(the_template.shape)
