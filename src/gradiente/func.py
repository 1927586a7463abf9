"""``torch.func``: function transforms — grad, vjp, jvp, jacrev, jacfwd, hessian, vmap,
functional_call and stack_module_state — built on gradiente's reverse-mode autograd.

They compose (``jacrev(jacrev(f))`` is a Hessian, ``vmap(grad(f))`` per-sample gradients):
inside another transform the inputs already carry a graph, so the inner transform keeps the
graph of its results (``create_graph``) for the outer one to differentiate. Forward-mode
products (jvp, jacfwd) are computed with reverse-mode passes; the numbers are the same.
``vmap`` maps with a Python loop: the same results as PyTorch's batching, one sample at a time.
"""

from __future__ import annotations

import contextlib
import numbers

from gradiente import autograd
from gradiente.autograd.functional import _jacobian_blocks
from gradiente.autograd.grad_mode import enable_grad, grad_state
from gradiente.tensor import Tensor, stack, zeros_like

# ---------------------------------------------------------------------------------------------
# pytrees: tensors inside (nested) tuples, lists and dicts


def tree_flatten(tree):
    """(the tensors of ``tree`` in order, a function that rebuilds ``tree`` from new leaves)."""
    if isinstance(tree, Tensor):
        return [tree], lambda leaves: leaves[0]
    if isinstance(tree, (list, tuple)):
        parts = [tree_flatten(item) for item in tree]
        return _combine(
            parts, lambda items: type(tree)(items) if not _namedtuple(tree) else type(tree)(*items)
        )
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [tree_flatten(tree[k]) for k in keys]
        return _combine(parts, lambda items: type(tree)(zip(keys, items)))
    return [], lambda leaves: tree


def _namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _combine(parts, build):
    leaves, sizes = [], []
    for part_leaves, _ in parts:
        leaves += part_leaves
        sizes.append(len(part_leaves))

    def rebuild(new_leaves):
        items, start = [], 0
        for (_, rebuild_part), n in zip(parts, sizes):
            items.append(rebuild_part(new_leaves[start : start + n]))
            start += n
        return build(items)

    return leaves, rebuild


# ---------------------------------------------------------------------------------------------
# gradients


def _detached(tree):
    leaves, rebuild = tree_flatten(tree)
    return rebuild([t.detach() for t in leaves])


def _track(x: Tensor) -> Tensor:
    """x as an input the graph records from: a view keeping x's own graph when an outer
    transform differentiates through x, else a fresh leaf."""
    if grad_state.enabled and x.requires_grad:
        return x.view_as(x)
    return x.detach().requires_grad_(True)


def _argnums(argnums, n: int) -> tuple:
    nums = (argnums,) if isinstance(argnums, numbers.Integral) else tuple(argnums)
    return tuple(a % n for a in nums)


def _prepare(args, argnums):
    """Track the differentiated arguments; returns (new args, their leaves, rebuilders,
    whether an outer transform is watching)."""
    args = list(args)
    nested = False
    leaves_per_arg, rebuilders = [], []
    for i in argnums:
        leaves, rebuild = tree_flatten(args[i])
        nested = nested or any(t.requires_grad for t in leaves)
        tracked = [_track(t) for t in leaves]
        args[i] = rebuild(tracked)
        leaves_per_arg.append(tracked)
        rebuilders.append(rebuild)
    return args, leaves_per_arg, rebuilders, nested and grad_state.enabled


def _call(func, args, kwargs, argnums, has_aux):
    """func on the arguments, the ones in ``argnums`` tracked (call under ``enable_grad``):
    (output, aux or None, their leaves, rebuilders, whether an outer transform watches)."""
    args, leaves, rebuilders, nested = _prepare(args, argnums)
    out = func(*args, **kwargs)
    aux = None
    if has_aux:
        out, aux = out
    return out, aux, leaves, rebuilders, nested


def _per_arg(values, leaves, rebuilders) -> list:
    """One value per tracked leaf, in order, regrouped into one tree per argument."""
    per_arg, start = [], 0
    for group, rebuild in zip(leaves, rebuilders):
        per_arg.append(rebuild(values[start : start + len(group)]))
        start += len(group)
    return per_arg


def _grads(outputs, inputs, cotangents, keep_graph: bool, retain: bool = False):
    got = autograd.grad(
        outputs,
        inputs,
        cotangents,
        retain_graph=retain or keep_graph,
        create_graph=keep_graph,
        allow_unused=True,
    )
    return [zeros_like(x) if g is None else g for g, x in zip(got, inputs)]


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning (∂func/∂args[argnums], func(*args)) for a scalar-valued func."""

    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args))
        with enable_grad():
            out, aux, leaves, rebuilders, nested = _call(func, args, kwargs, nums, has_aux)
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                    f"got tensor with {getattr(out, 'ndim', '?')} dims. Maybe you wanted to use "
                    "the vjp or jacrev APIs instead?"
                )
            flat = [t for group in leaves for t in group]
            grads = _grads([out], flat, None, nested)
        if not nested:
            grads = [g.detach() for g in grads]
            out, aux = out.detach(), _detached(aux)
        per_arg = _per_arg(grads, leaves, rebuilders)
        g = per_arg[0] if isinstance(argnums, numbers.Integral) else tuple(per_arg)
        return (g, (out, aux)) if has_aux else (g, out)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``grad(f)(x)``: the gradient of the scalar ``f`` with respect to ``x`` (or the
    arguments in ``argnums``)."""
    transformed = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = transformed(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn): ``vjp_fn(v)`` gives vᵀ·J for each primal."""
    nums = tuple(range(len(primals)))
    with enable_grad():
        out, aux, leaves, rebuilders, nested = _call(func, primals, {}, nums, has_aux)
    out_leaves, _ = tree_flatten(out)

    def vjp_fn(cotangents):
        ct_leaves, _ = tree_flatten(cotangents)
        flat = [t for group in leaves for t in group]
        with enable_grad():
            grads = _grads(out_leaves, flat, ct_leaves, nested, retain=True)
        if not nested:
            grads = [g.detach() for g in grads]
        return tuple(_per_arg(grads, leaves, rebuilders))

    if not nested:
        out, aux = _detached(out), _detached(aux)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def jvp(func, primals, tangents, *, has_aux=False):
    """(func(*primals), J·tangents), by the double-vjp trick: J·t = ∂(uᵀJ·t... )/∂u."""
    nums = tuple(range(len(primals)))
    with enable_grad():
        out, aux, leaves, _, nested = _call(func, primals, {}, nums, has_aux)
        out_leaves, rebuild_out = tree_flatten(out)
        # g(u) = Jᵀu is linear in u, so ∂(g(u)·t)/∂u = J·t
        us = [zeros_like(o).requires_grad_(True) for o in out_leaves]
        flat = [t for group in leaves for t in group]
        vjps = _grads(out_leaves, flat, us, True)
        tangent_leaves = [t for tree in tangents for t in tree_flatten(tree)[0]]
        products = _grads(vjps, us, tangent_leaves, nested, retain=True)
    if not nested:
        products = [p.detach() for p in products]
        out_leaves = [o.detach() for o in out_leaves]
    result = (rebuild_out(out_leaves), rebuild_out(products))
    return (*result, aux if nested else _detached(aux)) if has_aux else result


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """``jacrev(f)(x)``: the Jacobian, shaped output.shape + input.shape, one reverse pass per
    output element."""

    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args))
        with enable_grad():
            out, aux, leaves, rebuilders, nested = _call(func, args, kwargs, nums, has_aux)
            flat = [t for group in leaves for t in group]
            out_leaves, rebuild_out = tree_flatten(out)

            def row_grads(element):
                if not element.requires_grad:  # an output computed without the inputs
                    return [zeros_like(x) for x in flat]
                return _grads([element], flat, None, nested, retain=True)

            per_output = []
            for o in out_leaves:
                blocks = _jacobian_blocks(o, flat, row_grads)
                jacobians = [jac if nested else jac.detach() for jac in blocks]
                per_arg = _per_arg(jacobians, leaves, rebuilders)
                per_output.append(
                    per_arg[0] if isinstance(argnums, numbers.Integral) else tuple(per_arg)
                )
        result = rebuild_out(per_output)
        return (result, aux if nested else _detached(aux)) if has_aux else result

    return wrapper


jacfwd = jacrev


def hessian(func, argnums=0):
    """The matrix of second derivatives: ``jacrev(jacrev(func))``."""
    return jacrev(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------------------------------------
# vmap and functional_call


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``vmap(f)(x)`` stacks ``f(x[i])`` over the batch dim (a loop, not a batching rule).

    ``in_dims`` gives each argument's batch dim (None: not batched); nested tuples, lists and
    dicts of tensors are mapped leaf by leaf.
    """

    def mapped(*args):
        dims = in_dims if isinstance(in_dims, (list, tuple)) else (in_dims,) * len(args)
        flat_args = [tree_flatten(a) for a in args]
        batch_sizes = [
            t.shape[d] for (leaves, _), d in zip(flat_args, dims) if d is not None for t in leaves
        ]
        sizes = set(batch_sizes)
        if len(sizes) != 1:
            raise ValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, "
                f"got sizes {batch_sizes} for the mapped dimension"
            )
        n = sizes.pop()
        results = []
        for i in range(n):
            call = [
                arg if d is None else rebuild([t.select(d, i) for t in leaves])
                for arg, (leaves, rebuild), d in zip(args, flat_args, dims)
            ]
            results.append(func(*call))
        out_leaves = [tree_flatten(r)[0] for r in results]
        rebuild_out = tree_flatten(results[0])[1]
        outs = out_dims if isinstance(out_dims, (list, tuple)) else (out_dims,) * len(out_leaves[0])
        stacked = [
            stack([leaves[k] for leaves in out_leaves], outs[k]) for k in range(len(out_leaves[0]))
        ]
        return rebuild_out(stacked)

    return mapped


@contextlib.contextmanager
def _swapped(module, tensors: dict):
    """Temporarily use ``tensors`` (by qualified name) as the module's parameters/buffers."""
    saved = []
    try:
        for name, value in tensors.items():
            owner = module
            *path, leaf = name.split(".")
            for part in path:
                owner = getattr(owner, part)
            table = owner._parameters if leaf in owner._parameters else owner._buffers
            if leaf not in table:
                raise AttributeError(f"{type(owner).__name__} has no parameter or buffer {leaf}")
            saved.append((table, leaf, table[leaf]))
            table[leaf] = value
        yield
    finally:
        for table, leaf, old in reversed(saved):
            table[leaf] = old


def functional_call(
    module, parameter_and_buffer_dicts, args=(), kwargs=None, *, tie_weights=True, strict=False
):
    """Call ``module`` with the given tensors in place of its parameters and buffers."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        dicts = (dicts,)
    merged = {}
    for d in dicts:
        merged.update(d)
    if not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, merged):
        return module(*args, **(kwargs or {}))


def stack_module_state(models) -> tuple[dict, dict]:
    """(params, buffers) of a list of same-class models, each entry the models' tensors
    stacked along a new first dim: the model-ensembling pattern, then
    ``vmap(lambda p, b, x: functional_call(base, (p, b), (x,)))(params, buffers, x)``.

    The stacked parameters are new leaves (they require grad when the models' do), so an
    optimizer can train the ensemble as one set of tensors.
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) != 1:
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    if len({type(m) for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(m.named_parameters()) for m in models]
    all_buffers = [dict(m.named_buffers()) for m in models]
    params = {k: _stacked_leaf([p[k] for p in all_params], k) for k in all_params[0]}
    buffers = {k: _stacked_leaf([b[k] for b in all_buffers], k) for k in all_buffers[0]}
    return params, buffers


def _stacked_leaf(tensors: list, name: str) -> Tensor:
    """The models' tensors for ``name`` stacked, as a new leaf requiring grad if they do."""
    flags = {t.requires_grad for t in tensors}
    if len(flags) != 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack(tensors)
    return result.detach().requires_grad_() if flags.pop() else result
