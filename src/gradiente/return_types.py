"""``torch.return_types``: the named tuples of the ops with several outputs.

``torch.max(x, 0)`` returns a ``torch.return_types.max`` of (values, indices); each class here
is the one the op returns (``tensor/common.py``'s ``_return_type`` makes one class per name),
so ``isinstance(torch.max(x, 0), torch.return_types.max)`` holds. Like torch's, a class prints
as ``torch.return_types.max(\\nvalues=...,\\nindices=...)`` and is built from its fields or from
one sequence of them.
"""

from __future__ import annotations

from gradiente.tensor.common import _return_type

_VALUES_INDICES = ("values", "indices")

aminmax = _return_type("aminmax", ("min", "max"))
cummax = _return_type("cummax", _VALUES_INDICES)
cummin = _return_type("cummin", _VALUES_INDICES)
frexp = _return_type("frexp", ("mantissa", "exponent"))
geqrf = _return_type("geqrf", ("a", "tau"))
histogram = _return_type("histogram", ("hist", "bin_edges"))
histogramdd = _return_type("histogramdd", ("hist", "bin_edges"))
kthvalue = _return_type("kthvalue", _VALUES_INDICES)
linalg_cholesky_ex = _return_type("linalg_cholesky_ex", ("L", "info"))
linalg_eig = _return_type("linalg_eig", ("eigenvalues", "eigenvectors"))
linalg_eigh = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_inv_ex = _return_type("linalg_inv_ex", ("inverse", "info"))
linalg_ldl_factor = _return_type("linalg_ldl_factor", ("LD", "pivots"))
linalg_ldl_factor_ex = _return_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
linalg_lstsq = _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
linalg_lu = _return_type("linalg_lu", ("P", "L", "U"))
linalg_lu_factor = _return_type("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_qr = _return_type("linalg_qr", ("Q", "R"))
linalg_slogdet = _return_type("linalg_slogdet", ("sign", "logabsdet"))
linalg_solve_ex = _return_type("linalg_solve_ex", ("result", "info"))
linalg_svd = _return_type("linalg_svd", ("U", "S", "Vh"))
lu_unpack = _return_type("lu_unpack", ("P", "L", "U"))
max = _return_type("max", _VALUES_INDICES)  # noqa: A001 (torch's name)
median = _return_type("median", _VALUES_INDICES)
min = _return_type("min", _VALUES_INDICES)  # noqa: A001 (torch's name)
mode = _return_type("mode", _VALUES_INDICES)
nanmedian = _return_type("nanmedian", _VALUES_INDICES)
qr = _return_type("qr", ("Q", "R"))
slogdet = _return_type("slogdet", ("sign", "logabsdet"))
sort = _return_type("sort", _VALUES_INDICES)
svd = _return_type("svd", ("U", "S", "V"))
topk = _return_type("topk", _VALUES_INDICES)
triangular_solve = _return_type("triangular_solve", ("solution", "cloned_coefficient"))

all_return_types = [value for name, value in sorted(globals().items()) if isinstance(value, type)]
