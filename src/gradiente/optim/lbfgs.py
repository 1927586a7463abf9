"""L-BFGS: a quasi-Newton method that builds a curvature model from the last few steps.

Gradient descent moves along −g with one step size for every direction. Newton's method moves
along −H⁻¹g, which rescales each direction by its curvature, but the Hessian H costs n² memory.
L-BFGS keeps only the last m pairs (s_k, y_k) of parameter change and gradient change,

    s_k = θ_{k+1} − θ_k,    y_k = g_{k+1} − g_k        (y_k ≈ H s_k: the secant condition),

and applies an approximate H⁻¹ to g with two loops over them (Nocedal's "two-loop recursion"),
in O(m n) time and memory. This is ``torch.optim.LBFGS``, line by line: the same memory update,
the same first step, the same stopping tests, and the same optional strong-Wolfe line search
(``_strong_wolfe``, a port of torch/optim's ``lswolfe.lua``, with ``_cubic_interpolate``).

One ``step(closure)`` runs up to ``max_iter`` iterations and calls ``closure`` (which must
zero the gradients, compute the loss, call ``backward`` and return the loss) up to ``max_eval``
times. All parameters are handled as one flat vector θ.

Scalars derived from arrays (g·d, yᵀs, ...) stay NumPy scalars of the parameters' dtype, as
torch keeps them 0-d tensors, so float32 parameters give float32 arithmetic as in torch.
"""

from __future__ import annotations

from collections.abc import Callable

from gradiente.autograd import enable_grad, no_grad
from gradiente.backend import as_array, xp
from gradiente.optim.optimizer import Optimizer
from gradiente.tensor import Tensor

__all__ = ["LBFGS"]


# ---------------------------------------------------------------------------- line search
def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2.

    With d1 = g1 + g2 − 3 (f1 − f2) / (x1 − x2) and d2 = √(d1² − g1 g2), the cubic's minimum
    (taking x2 as the farther point) is at

        x2 − (x2 − x1) (g2 + d2 − d1) / (g2 − g1 + 2 d2),

    clipped to ``bounds`` (default: the interval between x1 and x2). If d1² < g1 g2 the cubic
    has no minimum and the middle of the bounds is returned.
    """
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)

    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = xp.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find a step t along d that satisfies the strong Wolfe conditions.

    With φ(t) = f(θ + t d) and φ'(t) = g(θ + t d)·d (``gtd``), the conditions are

        φ(t) ≤ φ(0) + c1 t φ'(0)        sufficient decrease (Armijo)
        |φ'(t)| ≤ −c2 φ'(0)              the slope has flattened enough (curvature)

    Phase 1 (bracketing) grows t by cubic extrapolation until an interval [t_lo, t_hi] must
    contain such a point; phase 2 (zoom) shrinks the interval by cubic interpolation, keeping
    trial points away from its ends. ``obj_func(x, t, d)`` returns (φ(t), g(θ + t d)).
    Returns (f_new, g_new, t, number of evaluations). The arrays here are never modified in
    place, so (unlike torch) no defensive copies are needed.
    """
    d_norm = xp.abs(d).max()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # ---- phase 1: bracket an interval that contains a point satisfying the Wolfe criteria
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:  # both conditions hold at t
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:  # the slope turned positive: a minimum lies in [t_prev, t]
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break

        # extrapolate: a cubic step, at least 1% beyond t and at most 10 t
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:  # out of evaluations: fall back to [0, t]
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # ---- phase 2: zoom into the bracket until a point satisfies the criteria
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:  # bracket too small
            break

        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )

        # Too close to an end of the bracket (within 10% of its length)? If that happened on
        # the previous trial too, or t is at or past an end, move t 10% inside the bracket.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # no sufficient decrease, or not below the low end: t becomes the high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:  # the Wolfe conditions hold
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the slope points away from the high end: the old low end becomes the high end
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            # t becomes the new low end
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


# ---------------------------------------------------------------------------- state helpers
def _to_state(value):
    """An array (of any device) or NumPy scalar as a Tensor for ``state`` (torch keeps
    tensors there)."""
    if isinstance(value, list):
        return [_to_state(v) for v in value]
    if isinstance(value, Tensor) or value is None:
        return value
    # NumPy scalars (np.float64 is also a Python float) and arrays of any device
    if isinstance(value, xp.generic) or (hasattr(value, "dtype") and hasattr(value, "shape")):
        return Tensor._make(as_array(value))
    return value


def _from_state(value):
    """The inverse of ``_to_state``: a 0-d Tensor as a NumPy scalar, others as their array."""
    if isinstance(value, list):
        return [_from_state(v) for v in value]
    if isinstance(value, Tensor):
        return value._data[()] if value._data.ndim == 0 else value._data
    return value


class LBFGS(Optimizer):
    r"""L-BFGS with an optional strong-Wolfe line search, as ``torch.optim.LBFGS``.

    Each iteration k of ``step(closure)``, with g_k the flat gradient and m = ``history_size``::

        first iteration:   d = −g_0,  t = min(1, 1 / Σ|g_0|) · η
        afterwards:        y = g_k − g_{k−1},  s = t d   (the last step)
                           if yᵀs > 1e-10: keep (s, y) and ρ = 1 / yᵀs (dropping the oldest
                           beyond m), and set γ = yᵀs / yᵀy   (initial inverse Hessian γ I)
                           d = −H_k g_k by the two-loop recursion:
                             q = −g_k
                             for i newest → oldest:  α_i = ρ_i s_iᵀq,  q ← q − α_i y_i
                             r = γ q
                             for i oldest → newest:  β_i = ρ_i y_iᵀr,  r ← r + (α_i − β_i) s_i
                             d = r
                           t = η
        if g_kᵀd > −tolerance_change: stop (d is not a descent direction)
        line_search_fn=None:           θ ← θ + t d  (a fixed step)
        line_search_fn="strong_wolfe": t from ``_strong_wolfe``, then θ ← θ + t d

    The loop stops after ``max_iter`` iterations or ``max_eval`` closure calls, when
    max|g| ≤ ``tolerance_grad``, when max|t d| ≤ ``tolerance_change``, or when the loss changed
    by less than ``tolerance_change``. The memory (``d``, ``t``, ``old_dirs`` = y's,
    ``old_stps`` = s's, ``ro``, ``H_diag`` = γ, ...) is kept, as in torch, in the state of the
    first parameter, so the next ``step`` continues the same curvature model. Only one
    parameter group is allowed.
    """

    _validated = ("lr",)

    def __init__(
        self,
        params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, self._defaults_from(locals()))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    # ------------------------------------------------------------------ θ as one flat vector
    def _gather_flat_grad(self):
        """All gradients as one new flat array (zeros for a parameter without a gradient)."""
        views = [
            xp.zeros(p._data.size, dtype=p._data.dtype)
            if p.grad is None
            else p.grad._data.reshape(-1)
            for p in self._params
        ]
        return xp.concatenate(views)

    def _add_grad(self, step_size, update) -> None:
        """θ ← θ + step_size · update, parameter by parameter."""
        offset = 0
        for p in self._params:
            numel = p._data.size
            p._data += step_size * update[offset : offset + numel].reshape(p._data.shape)
            p._bump()
            offset += numel

    def _clone_param(self) -> list:
        return [p._data.copy() for p in self._params]

    def _set_param(self, params_data) -> None:
        for p, data in zip(self._params, params_data, strict=True):
            p._data[...] = data
            p._bump()

    def _directional_evaluate(self, closure, x, t, d):
        """(f, g) at θ = x + t d; the parameters are put back to x afterwards."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ the step
    def step(self, closure: Callable[[], Tensor]):  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; return the loss of the first evaluation.

        ``closure`` re-evaluates the model: it zeroes the gradients, computes the loss, calls
        ``backward`` and returns the loss. It always runs with grad mode on.
        """
        with no_grad():
            return self._step(closure)

    def _step(self, user_closure):
        def closure():
            with enable_grad():
                return user_closure()

        group = self.param_groups[0]
        lr = group["lr"]
        if isinstance(lr, Tensor):  # a one-element tensor, as torch allows
            lr = lr.item()
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        # L-BFGS's state is global; as torch does, it is kept as the first parameter's state
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        if xp.abs(flat_grad).max() <= tolerance_grad:  # already optimal
            return orig_loss

        d = _from_state(state.get("d"))
        t = _from_state(state.get("t"))
        old_dirs = _from_state(state.get("old_dirs"))  # the y's
        old_stps = _from_state(state.get("old_stps"))  # the s's
        ro = _from_state(state.get("ro"))  # ρ = 1 / yᵀs
        H_diag = _from_state(state.get("H_diag"))  # γ
        prev_flat_grad = _from_state(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # ---- the direction d
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)  # yᵀs > 0 keeps the approximate inverse Hessian positive definite
                if ys > 1e-10:
                    if len(old_dirs) == history_size:  # limited memory: forget the oldest
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)  # γ = yᵀs / yᵀy
                num_old = len(old_dirs)

                if "al" not in state:
                    state["al"] = [None] * history_size
                al = _from_state(state["al"])

                # two-loop recursion: d = −H g
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]  # α_i = ρ_i s_iᵀq
                    q += -al[i] * old_dirs[i]  # q ← q − α_i y_i
                d = r = q * H_diag  # r = γ q
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]  # β_i = ρ_i y_iᵀr
                    r += (al[i] - be_i) * old_stps[i]  # r ← r + (α_i − β_i) s_i
                state["al"] = _to_state(al)

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # ---- the step length t
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr  # a cautious first step
            else:
                t = lr

            gtd = flat_grad.dot(d)  # directional derivative gᵀd
            if gtd > -tolerance_change:  # d is (numerically) not a descent direction
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)  # a fixed step
                if n_iter != max_iter:
                    # torch re-evaluates except in the last iteration (in a stochastic setting
                    # that evaluation would be of no use)
                    loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # ---- stopping tests
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:  # max|g| ≤ tolerance_grad
                break
            if xp.abs(d * t).max() <= tolerance_change:  # the step is tiny
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss stalls
                break

        state["d"] = _to_state(d)
        state["t"] = _to_state(t)
        state["old_dirs"] = _to_state(old_dirs)
        state["old_stps"] = _to_state(old_stps)
        state["ro"] = _to_state(ro)
        state["H_diag"] = _to_state(H_diag)
        state["prev_flat_grad"] = _to_state(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss
