"""Ready-made parametrizations (``torch.nn.utils.parametrizations``): ``weight_norm``,
``spectral_norm`` and ``orthogonal``, registered through ``nn.utils.parametrize``, so their state is
``parametrizations.weight.original*`` (see the legacy hook forms in ``weight_norm.py`` and
``spectral_norm.py`` for the math)."""

from __future__ import annotations

from gradiente import linalg
from gradiente.autograd.grad_mode import no_grad
from gradiente.backend import xp
from gradiente.functions import finfo
from gradiente.nn.functional import normalize
from gradiente.nn.module import Module
from gradiente.nn.utils import parametrize
from gradiente.nn.utils.spectral_norm import _transposed_conv_dim, _weight_matrix
from gradiente.nn.utils.weight_norm import _weight_norm, norm_except_dim
from gradiente.tensor import Tensor, cat, eye, randn, zeros_like


class _WeightNorm(Module):
    """w = g · v/‖v‖ from (original0, original1) = (g, v)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrise ``module.<name>`` as g · v/‖v‖, with g = ``original0`` (the norms over all
    axes but ``dim``) and v = ``original1``. A state dict of the legacy form (``<name>_g``,
    ``<name>_v``) still loads."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(
        state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    """W/σ(W), σ by power iteration on the buffers ``_u``, ``_v`` (one step per forward in
    training mode; 15 steps when created)."""

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = _weight_matrix(weight, self.dim)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # u ← Wv/‖Wv‖, v ← Wᵀu/‖Wᵀu‖, in place in the buffers
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(weight_mat.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = _weight_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = u.vdot(weight_mat.mv(v))  # σ ≈ uᵀWv, differentiable in W
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its spectral norm σ, estimated by power iteration; the
    weight becomes ``parametrizations.<name>.original``, u and v buffers of the
    parametrization (``parametrizations.<name>.0._u``, ``._v``)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _transposed_conv_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module


# ------------------------------------------------------------------ orthogonal
# A matrix Q with orthonormal columns (or rows, for a wide one) as the image of an
# unconstrained X (Lezcano-Casado & Martínez-Rubio, 2019):
# - matrix_exp / cayley: A = X̃ − X̃ᵀ with X̃ the lower triangle of X (zero-padded to n × n) is
#   skew-symmetric, and exp(A), or the Cayley map (I − A/2)⁻¹(I + A/2), is orthogonal;
# - householder: the columns of X below the diagonal are Householder vectors vᵢ, and
#   Q = H₁ ⋯ H_k with Hᵢ = I − τᵢ vᵢvᵢᵀ, τᵢ = 2/‖vᵢ‖² (signs from X's diagonal).
# With ``use_trivialization`` (the default) the result is multiplied by a fixed orthogonal
# ``base`` set when the weight is assigned, so that X starts at a point where the map is
# well conditioned ("dynamic trivialization").

_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def _householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """torch.linalg.householder_product: the first k columns of H₁ ⋯ H_k, the vectors vᵢ
    being A's columns below the diagonal with a 1 on it, as differentiable Tensor ops."""
    n, k = A.shape[-2:]
    identity = eye(n, dtype=A.dtype, device=A.device)[:, :k]
    vectors = A.tril(-1) + identity  # (..., n, k): vᵢ in column i
    q = identity.expand(*A.shape[:-2], n, k)
    for i in reversed(range(k)):  # Q = H₁(H₂(⋯(H_k I)))
        v = vectors[..., :, i : i + 1]
        q = q - tau[..., i, None, None] * v.matmul(v.mT.matmul(q))
    return q


def _geqrf(A: Tensor):
    """LAPACK's geqrf, as torch.geqrf: R in the upper triangle, the Householder vectors below
    the diagonal, and their τ (arrays; NumPy's ``qr(mode='raw')`` returns them transposed)."""
    a = xp.asarray(A.detach().cpu().numpy())
    batch = a.shape[:-2]
    flat = a.reshape(-1, *a.shape[-2:])
    pairs = [xp.linalg.qr(m, mode="raw") for m in flat]
    h = xp.stack([p[0].T for p in pairs]).reshape(a.shape)
    tau = xp.stack([p[1] for p in pairs]).reshape(*batch, -1)
    return xp.ascontiguousarray(h), tau


def _make_orthogonal(A: Tensor) -> Tensor:
    """The Q of A = QR for a tall A, with the signs chosen so that diag(R) ≥ 0."""
    q, r = linalg.qr(A)
    return q * r.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _is_orthogonal(Q: Tensor) -> bool:
    n, k = Q.shape[-2:]
    eps = 10.0 * n * finfo(Q.dtype).eps
    return bool(Q.mT.matmul(Q).allclose(eye(k, dtype=Q.dtype, device=Q.device), atol=eps))


class _Orthogonal(Module):
    """Q(X) orthogonal for any X of the weight's shape (see the banner above)."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization=True) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2:]
        transposed = n < k
        if transposed:  # work on the tall matrix
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:  # embed into a square matrix
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mT  # skew-symmetric
            if self.orthogonal_map == "matrix_exp":
                Q = linalg.matrix_exp(A)
            else:
                identity = eye(n, dtype=A.dtype, device=A.device)
                Q = linalg.solve(identity - A * 0.5, identity + A * 0.5)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # X's diagonal holds the signs ±1 (as integers: not differentiated)
            Q = Q * X.detach().diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base.matmul(Q)
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(
                    f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor "
                    f"of shape {Q.shape}."
                )
            q_init = Q
            n, k = Q.shape[-2:]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in ("cayley", "matrix_exp"):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley "
                        "parametrizations when use_trivialization=False."
                    )
                # the Householder vectors of Q's QR decomposition, with the signs of R's
                # diagonal on the diagonal (+1 where LAPACK skipped a reflection: τ = 0)
                A, tau = _geqrf(Q)
                diagonal = xp.sign(xp.diagonal(A, axis1=-2, axis2=-1))
                diagonal = xp.where(tau == 0.0, -diagonal, diagonal)
                index = xp.arange(k)
                A[..., index, index] = diagonal
                A = Tensor._make(A).to(Q.device)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # complete Q into an n × n orthogonal matrix with random columns
                N = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            # X = −I: every map sends it to I (householder reads its diagonal as the signs)
            neg_identity = zeros_like(q_init)
            neg_identity.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_identity


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Constrain ``module.<name>`` (a matrix, or a batch of them) to be orthogonal: orthonormal
    columns if tall, rows if wide. ``orthogonal_map``: 'matrix_exp' (the default for square
    matrices), 'cayley' or 'householder' (the default otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
