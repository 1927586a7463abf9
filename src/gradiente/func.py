"""``torch.func``: function transforms — grad, vjp, jvp, linearize, jacrev, jacfwd, hessian,
vmap, functional_call and stack_module_state — built on gradiente's reverse-mode autograd.

They compose (``jacrev(jacrev(f))`` is a Hessian, ``vmap(grad(f))`` per-sample gradients):
inside another transform the inputs already carry a graph, so the inner transform keeps the
graph of its results (``create_graph``) for the outer one to differentiate. Forward-mode
products (jvp, linearize, jacfwd's columns) are computed exactly with reverse-mode passes by
the double-vjp trick (``_tangent_map``); the numbers are the same as PyTorch's forward mode.
``vmap`` maps with a Python loop: the same results as PyTorch's batching, one sample at a time.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import sys
import threading

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
    """``argnums`` as a tuple of non-negative positions, with torch's errors."""
    if isinstance(argnums, numbers.Integral):
        nums = (argnums,)
    elif isinstance(argnums, tuple) and all(isinstance(a, numbers.Integral) for a in argnums):
        nums = argnums
        if not nums:
            raise RuntimeError("argnums must be non-empty")
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
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
            if not isinstance(out, Tensor):
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                    f"got {type(out)}"
                )
            if out.ndim != 0:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                    f"got tensor with {out.ndim} dims. Maybe you wanted to use "
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


def _tangent_map(out_leaves, inputs, keep_graph: bool):
    """The Jacobian-vector product of the recorded graph, as a function: tangent leaves (one
    per input) ↦ J·t (one per output), by the double-vjp trick. With u a dummy cotangent,
    g(u) = Jᵀu is linear in u, so ∂⟨g(u), t⟩/∂u = J·t: one backward pass recording its graph
    now, then one backward pass through that graph per product."""
    live = [k for k, o in enumerate(out_leaves) if o.requires_grad]
    us = [zeros_like(out_leaves[k]).requires_grad_(True) for k in live]
    vjps = [None] * len(inputs)
    if live:
        got = autograd.grad(
            [out_leaves[k] for k in live], inputs, us, create_graph=True, allow_unused=True
        )
        vjps = [g if g is not None and g.requires_grad else None for g in got]

    def products(tangent_leaves) -> list:
        pairs = [(g, t) for g, t in zip(vjps, tangent_leaves) if g is not None]
        result = [zeros_like(o).detach() for o in out_leaves]
        if not pairs:  # no output depends on the inputs: J = 0
            return result
        with enable_grad():
            got = autograd.grad(
                [g for g, _ in pairs],
                us,
                [t for _, t in pairs],
                retain_graph=True,
                create_graph=keep_graph,
                allow_unused=True,
            )
        for k, jv in zip(live, got):
            if jv is not None:
                result[k] = jv if keep_graph else jv.detach()
        return result

    return products


def jvp(func, primals, tangents, *, has_aux=False):
    """(func(*primals), J·tangents), computed by the double-vjp trick (``_tangent_map``)."""
    nums = tuple(range(len(primals)))
    with enable_grad():
        out, aux, leaves, _, nested = _call(func, primals, {}, nums, has_aux)
        out_leaves, rebuild_out = tree_flatten(out)
        flat = [t for group in leaves for t in group]
        tangent_leaves = [t for tree in tangents for t in tree_flatten(tree)[0]]
        products = _tangent_map(out_leaves, flat, nested)(tangent_leaves)
    if not nested:
        out_leaves = [o.detach() for o in out_leaves]
    result = (rebuild_out(out_leaves), rebuild_out(products))
    return (*result, aux if nested else _detached(aux)) if has_aux else result


def linearize(func, *primals):
    """(func(*primals), jvp_fn): ``jvp_fn(*tangents)`` is J·tangents at ``primals``; the graph
    is recorded once and each call runs one backward pass through it."""
    nums = tuple(range(len(primals)))
    with enable_grad():
        out, _, leaves, _, nested = _call(func, primals, {}, nums, False)
        out_leaves, rebuild_out = tree_flatten(out)
        flat = [t for group in leaves for t in group]
        products = _tangent_map(out_leaves, flat, nested)
    primal_shapes = [tuple(t.shape) for t in flat]

    def jvp_fn(*tangents):
        tangent_leaves = [t for tree in tangents for t in tree_flatten(tree)[0]]
        if len(tangents) != len(primals) or len(tangent_leaves) != len(flat):
            raise RuntimeError(
                "Expected the tangents to have the same argspec as the primals: "
                f"{len(primals)} primals, got {len(tangents)} tangents"
            )
        for t, shape in zip(tangent_leaves, primal_shapes):
            if tuple(t.shape) != shape:
                raise RuntimeError(
                    f"Expected the tangent of shape {shape} to match its primal's, "
                    f"got {tuple(t.shape)}"
                )
        return rebuild_out(products(tangent_leaves))

    if not nested:
        out_leaves = [o.detach() for o in out_leaves]
    return rebuild_out(out_leaves), jvp_fn


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


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``jacfwd(f)(x)``: the Jacobian, shaped output.shape + input.shape, one Jacobian-vector
    product per input element (a column of J), each through the double-vjp graph that
    ``_tangent_map`` records once. The same numbers as ``jacrev``, built column by column.

    ``randomness`` ("error", "same", "different") is accepted for PyTorch's signature; the
    columns share one forward pass, so random ops inside ``f`` are drawn once either way.
    """
    if randomness not in ("error", "same", "different"):
        raise RuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )

    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args))
        for i in nums:
            for t in tree_flatten(args[i])[0]:
                if not (t.is_floating_point() or t.is_complex()):
                    raise ValueError(
                        f"Expected primal to be floating point or complex, but got: {t.dtype}"
                    )
        with enable_grad():
            out, aux, leaves, rebuilders, nested = _call(func, args, kwargs, nums, has_aux)
            flat = [t for group in leaves for t in group]
            out_leaves, rebuild_out = tree_flatten(out)
            products = _tangent_map(out_leaves, flat, nested)
            # blocks[k][i]: the Jacobian of output k with respect to input leaf i
            blocks = [[] for _ in out_leaves]
            for i, x in enumerate(flat):
                columns = [products(_basis_tangents(flat, i, j)) for j in range(x.numel())]
                for k, o in enumerate(out_leaves):
                    block = _columns_to_block([c[k] for c in columns], o, x)
                    blocks[k].append(block if nested else block.detach())
        per_output = []
        for row in blocks:
            per_arg = _per_arg(row, leaves, rebuilders)
            per_output.append(
                per_arg[0] if isinstance(argnums, numbers.Integral) else tuple(per_arg)
            )
        result = rebuild_out(per_output)
        return (result, aux if nested else _detached(aux)) if has_aux else result

    return wrapper


def _basis_tangents(flat, i: int, j: int) -> list:
    """Tangents for every input leaf: zero except element j of leaf i, which is 1."""
    tangents = [zeros_like(x).detach() for x in flat]
    shape = tuple(flat[i].shape)
    e = tangents[i].reshape(-1)
    e[j] = 1
    tangents[i] = e.reshape(shape)
    return tangents


def _columns_to_block(columns: list, out: Tensor, x: Tensor) -> Tensor:
    """The columns J·eⱼ (each shaped like ``out``) as one block shaped out.shape + x.shape."""
    shape = tuple(out.shape) + tuple(x.shape)
    if not columns:  # an empty input
        return zeros_like(out).new_zeros(shape)
    return stack(columns, dim=-1).reshape(shape)


def hessian(func, argnums=0):
    """The matrix of second derivatives: ``jacfwd(jacrev(func))``, as PyTorch computes it."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------------------------------------
# vmap and functional_call


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``vmap(f)(x)`` stacks ``f(x[i])`` over the batch dim (a loop, not a batching rule).

    ``in_dims`` gives each argument's batch dim (None: not batched), an int for all of them or
    a tuple with one entry per argument, nested to match tuples, lists and dicts of tensors;
    ``out_dims`` likewise places the batch dim in each output (None: an output that is the
    same for every sample). Keyword arguments are passed unbatched. ``chunk_size`` is
    validated as PyTorch does; the loop runs one sample at a time whatever its value.

    Calling ``.item()`` (or ``float()``/``int()``) inside ``f`` on a mapped sample raises
    PyTorch's error; other tensors may be read (see ``_no_item``).
    """
    if randomness not in ("error", "same", "different"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")
    name = getattr(func, "__name__", repr(func))

    def mapped(*args, **kwargs):
        where = f"vmap({name}, in_dims={in_dims!r}, ...)(<inputs>)"
        if not args:
            raise ValueError(
                f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or "
                "you are trying to vmap over a function with no inputs. The latter is "
                "unsupported."
            )
        if not isinstance(in_dims, (numbers.Integral, tuple)) or isinstance(in_dims, bool):
            raise ValueError(
                f"{where}: expected `in_dims` to be int or a (potentially nested) tuple "
                f"matching the structure of inputs, got: {type(in_dims)}."
            )
        sizes = []

        def check(leaf, dim):
            if dim is None:
                return leaf
            if not isinstance(leaf, Tensor):
                raise ValueError(
                    f"{where}: Got in_dim={dim} for an input but the input is of type "
                    f"{type(leaf)}. We cannot vmap over non-Tensor arguments, please use None "
                    "as the respective in_dim"
                )
            n = leaf.ndim
            if not -n <= dim < n:
                raise ValueError(
                    f"{where}: Got in_dim={dim} for some input, but that input is a Tensor of "
                    f"dimensionality {n} so expected in_dim to satisfy -{n} <= in_dim < {n}."
                )
            sizes.append(leaf.shape[dim])
            return leaf

        _walk(args, in_dims, check, lambda: _structure_error(where, "in_dims", in_dims, args))
        if not sizes:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        if len(set(sizes)) != 1:
            raise ValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, "
                f"got sizes {sizes} for the mapped dimension"
            )
        results = []
        with _no_item():
            for i in range(sizes[0]):
                call = _walk(args, in_dims, functools.partial(_sample, index=i), None)
                results.append(func(*call, **kwargs))
        return _stack_outputs(name, results, out_dims)

    return mapped


def _sample(leaf, dim, index: int):
    """Sample ``index`` of a mapped leaf (an unmapped one as is), noted as batched."""
    if dim is None:
        return leaf
    sample = leaf.select(dim, index)
    _vmap_state.batched[id(sample)] = sample
    return sample


def _is_sample(tensor, batched: dict) -> bool:
    """Whether ``tensor`` is one of vmap's samples (kept alive in ``batched``, so no other
    tensor can have its id meanwhile)."""
    return batched.get(id(tensor)) is tensor


def _walk(tree, dims, visit, fail):
    """``tree`` rebuilt with ``visit(leaf, dim)`` applied to each leaf, where ``dims`` (an int
    or None for a whole subtree, else a tuple/list/dict shaped like ``tree``) gives the dims.
    ``fail()`` is called (it raises) when ``dims`` does not match the structure of ``tree``."""
    if dims is None or isinstance(dims, numbers.Integral):
        if isinstance(tree, (list, tuple)):
            items = [_walk(item, dims, visit, fail) for item in tree]
            return type(tree)(*items) if _namedtuple(tree) else type(tree)(items)
        if isinstance(tree, dict):
            return type(tree)((k, _walk(v, dims, visit, fail)) for k, v in tree.items())
        return visit(tree, dims)
    if isinstance(dims, (list, tuple)) and isinstance(tree, (list, tuple)):
        if len(dims) == len(tree) and isinstance(tree, type(dims)):
            items = [_walk(item, d, visit, fail) for item, d in zip(tree, dims)]
            return type(tree)(*items) if _namedtuple(tree) else type(tree)(items)
    elif isinstance(dims, dict) and isinstance(tree, dict) and dims.keys() == tree.keys():
        return type(tree)((k, _walk(v, dims[k], visit, fail)) for k, v in tree.items())
    fail()


def _structure_error(where: str, what: str, dims, tree):
    kind = "inputs" if what == "in_dims" else "outputs"
    raise ValueError(
        f"{where}: {what} is not compatible with the structure of `{kind}`. {what} has "
        f"structure {_spec_repr(dims)} but {kind} has structure {_spec_repr(tree)}."
    )


def _spec_repr(tree, indent: int = 0) -> str:
    """A tree's structure written as PyTorch's pytree ``TreeSpec`` repr (``*`` per leaf)."""
    if isinstance(tree, (list, tuple, dict)):
        children = list(tree.values()) if isinstance(tree, dict) else list(tree)
        context = repr(list(tree)) if isinstance(tree, dict) else "None"
        indent += 2
        parts = [_spec_repr(c, indent) for c in children]
        inner = ("," + "\n" + " " * indent).join(parts)
        return f"TreeSpec({type(tree).__name__}, {context}, [{inner}])"
    if tree is None:
        return "TreeSpec(NoneType, None, [])"
    return "*"


def _stack_outputs(name: str, results: list, out_dims):
    """The per-sample results stacked leaf by leaf along their ``out_dims``."""
    where = f"vmap({name}, ..., out_dims={out_dims!r})(<inputs>)"
    first = results[0]
    placed = []  # (leaf, out dim) of the first sample, in order

    def collect(leaf, dim):
        if dim is not None and not isinstance(leaf, Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                f"{type(leaf)}. Did you mean to set out_dims= to None for output?"
            )
        placed.append(dim)
        return leaf

    if isinstance(first, Tensor) and isinstance(out_dims, tuple) and len(out_dims) == 1:
        out_dims = out_dims[0]  # PyTorch's edge case: (d,) for a single tensor
    _walk(first, out_dims, collect, lambda: _structure_error(where, "out_dims", out_dims, first))
    per_sample = [_leaves(r) for r in results]
    stacked = []
    for k, dim in enumerate(placed):
        column = [leaves[k] for leaves in per_sample]
        if dim is None:
            if isinstance(column[0], Tensor) and any(not column[0].equal(c) for c in column[1:]):
                raise ValueError(
                    f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim "
                    "is None"
                )
            stacked.append(column[0])
        else:
            n = column[0].ndim
            if not -(n + 1) <= dim <= n:
                raise IndexError(
                    f"Dimension out of range (expected to be in range of [{-(n + 1)}, {n}], "
                    f"but got {dim})"
                )
            stacked.append(stack(column, dim))
    it = iter(stacked)
    return _walk(first, out_dims, lambda leaf, d: next(it), None)


def _leaves(tree) -> list:
    """Every leaf of ``tree`` (tensors and other values), in ``_walk``'s order."""
    found = []
    _walk(tree, 0, lambda leaf, d: found.append(leaf), None)
    return found


_ITEM_ERROR = (
    "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
    "calling .item() on a Tensor, please try to rewrite what you're doing with other "
    "operations. If error is occurring somewhere inside PyTorch internals, please file a bug "
    "report."
)
_vmap_state = threading.local()
_patch_lock = threading.Lock()
_patch_depth = 0


def _guarded(original):
    """``Tensor.item`` (or ``__float__``/``__int__``) that raises PyTorch's vmap error when user
    code inside a vmap reads a value that depends on the mapped inputs."""

    def method(self, *args):
        batched = getattr(_vmap_state, "batched", None)
        if batched and _is_sample(self, batched):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller != "gradiente" and not caller.startswith("gradiente."):
                raise RuntimeError(_ITEM_ERROR)
        return original(self, *args)

    method.__wrapped__ = original
    return method


@contextlib.contextmanager
def _no_item():
    """While vmap runs a function: ``.item()`` on a mapped sample raises (on this thread).

    Only the samples vmap hands to the function are known to be batched:
    a loop has no batching rules to follow the batch through other ops. So ``t.item()`` of a
    sample raises PyTorch's error, while ``t.sum().item()`` is not caught — the safe side,
    since a tensor the function builds from constants may always be read."""
    global _patch_depth
    outer = getattr(_vmap_state, "batched", None)
    _vmap_state.batched = dict(outer or {})
    with _patch_lock:
        if _patch_depth == 0:
            for attr in ("item", "__float__", "__int__"):
                setattr(Tensor, attr, _guarded(getattr(Tensor, attr)))
        _patch_depth += 1
    try:
        yield
    finally:
        _vmap_state.batched = outer
        with _patch_lock:
            _patch_depth -= 1
            if _patch_depth == 0:
                for attr in ("item", "__float__", "__int__"):
                    setattr(Tensor, attr, getattr(Tensor, attr).__wrapped__)


@contextlib.contextmanager
def _swapped(module, tensors: dict):
    """Temporarily use ``tensors`` (by qualified name) as the module's parameters/buffers (a
    name that is neither is set as a plain attribute, as PyTorch does)."""
    saved = []
    missing = object()
    try:
        for name, value in tensors.items():
            owner = module
            *path, leaf = name.split(".")
            for part in path:
                if not hasattr(owner, part):
                    raise AttributeError(f"{type(owner).__name__} has no attribute `{part}`")
                owner = getattr(owner, part)
            if leaf in owner._parameters:
                table = owner._parameters
            elif leaf in owner._buffers:
                table = owner._buffers
            else:
                table = owner.__dict__
            saved.append((table, leaf, table.get(leaf, missing)))
            table[leaf] = value
        yield
    finally:
        for table, leaf, old in reversed(saved):
            if old is missing:
                del table[leaf]
            else:
                table[leaf] = old


def functional_call(
    module, parameter_and_buffer_dicts, args=(), kwargs=None, *, tie_weights=True, strict=False
):
    """Call ``module`` with the given tensors in place of its parameters and buffers.

    Several dicts (a tuple or list) are merged; a key in more than one is an error. With
    ``tie_weights`` a tensor given for one name of a tied (shared) parameter replaces all its
    names; ``strict`` requires exactly the module's parameter and buffer names.
    """
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        merged = dict(dicts)
    else:
        merged = {}
        for d in dicts:
            merged.update(d)
        counts = {}
        for d in dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = sorted(k for k, n in counts.items() if n > 1)
        if repeated:
            raise ValueError(
                f"{repeated} appeared in multiple dictionaries; behavior of functional call "
                "is ambiguous"
            )
    names = [n for n, _ in module.named_parameters(remove_duplicate=False)]
    names += [n for n, _ in module.named_buffers(remove_duplicate=False)]
    if tie_weights:
        merged = _tied(module, merged)
    if strict:
        missing = [n for n in names if n not in merged]
        unexpected = [k for k in merged if k not in names]
        lines = []
        if unexpected:
            lines.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
        if missing:
            lines.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
        if lines:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(lines)
            )
    if not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, merged):
        return module(*args, **(kwargs or {}))


def _tied(module, given: dict) -> dict:
    """``given`` with every other name of a tied parameter/buffer filled in from the name the
    caller gave (PyTorch's ``tie_weights``): one tensor for all names of a shared tensor."""
    groups = {}
    for named in (module.named_parameters, module.named_buffers):
        for name, t in named(remove_duplicate=False):
            groups.setdefault(id(t), []).append(name)
    result = dict(given)
    for names in groups.values():
        if len(names) < 2:
            continue
        supplied = [n for n in names if n in given]
        if not supplied:
            continue
        value = given[supplied[0]]
        if any(given[n] is not value for n in supplied[1:]):
            raise ValueError(
                f"functional_call got multiple values for keys {supplied}, which are tied. "
                "Consider using tie_weights=False"
            )
        for n in names:
            result.setdefault(n, value)
    return result


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
