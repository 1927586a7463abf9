"""Module hooks beyond the basics, against torch: kwargs and always-call forward hooks, backward
pre-hooks, legacy backward hooks, global hooks, state-dict hooks, extra state, nn.Buffer and
Sequential's list operations."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import warnings
from collections import OrderedDict

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")
import torch.nn.modules.module as torch_module  # noqa: E402

import gradiente.nn.module as gradiente_module  # noqa: E402

LIBS = (gradiente, torch)
MODULE_OF = {gradiente: gradiente_module, torch: torch_module}


def _plain(x):
    if isinstance(x, (gradiente.Tensor, torch.Tensor)):
        return np.round(np.asarray(x.detach().tolist(), dtype=float), 5).tolist()
    if isinstance(x, (tuple, list)):
        return type(x)(_plain(v) for v in x)
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


def _both(fn):
    """``fn(lib)`` for gradiente and torch; asserts the results are equal and returns them."""
    out = [fn(lib) for lib in LIBS]
    assert out[0] == out[1]
    return out[0]


def _scale(lib):
    class Scale(lib.nn.Module):
        def forward(self, x, factor=1.0, *, shift=0.0):
            return x * factor + shift

    return Scale()


# ------------------------------------------------------------------------------ forward hooks


def test_forward_hooks_with_kwargs_and_prepend_equal_torch():
    def run(lib):
        m, calls = _scale(lib), []

        def pre_kw(mod, args, kwargs):
            calls.append(("pre_kw", sorted(kwargs)))
            return args, {**kwargs, "shift": 10.0}

        def pre(mod, args):
            calls.append(("pre", len(args)))
            return (args[0] * 2, *args[1:])

        def post_kw(mod, args, kwargs, out):
            calls.append(("post_kw", sorted(kwargs), _plain(out)))
            return out + 1

        m.register_forward_pre_hook(pre_kw, with_kwargs=True)
        m.register_forward_pre_hook(pre, prepend=True)
        m.register_forward_hook(post_kw, with_kwargs=True)
        m.register_forward_hook(lambda mod, a, o: calls.append("first") or None, prepend=True)
        out = m(lib.ones(2), 3.0, shift=1.0)
        return calls, _plain(out)

    calls, out = _both(run)
    assert out == [17.0, 17.0]  # (1*2)*3 + 10 + 1


def test_forward_pre_hook_with_kwargs_bad_return_raises_as_torch():
    messages = []
    for lib in LIBS:
        m = _scale(lib)
        m.register_forward_pre_hook(lambda mod, a, k: a, with_kwargs=True)
        with pytest.raises(RuntimeError) as err:
            m(lib.ones(1))
        messages.append(str(err.value).split("but got")[0])
    assert messages[0] == messages[1]


def test_always_call_forward_hooks_run_when_forward_raises():
    def run(lib):
        class Broken(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        m, calls = Broken(), []
        m.register_forward_hook(lambda mod, a, o: calls.append(("always", o)), always_call=True)
        m.register_forward_hook(lambda mod, a, o: calls.append("normal"))
        m.register_forward_hook(
            lambda mod, a, k, o: calls.append(("kw", k)), with_kwargs=True, always_call=True
        )

        def failing(mod, a, o):
            raise KeyError("hook failed")

        m.register_forward_hook(failing, always_call=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(ValueError, match="boom"):
                m(lib.ones(1))
        silenced = [str(w.message) for w in caught if "always_call" in str(w.message)]
        return calls, silenced

    calls, silenced = _both(run)
    assert calls == [("always", None), ("kw", {})] and len(silenced) == 1


def test_handles_have_increasing_ids_and_remove_their_flags():
    m = _scale(gradiente)
    h1 = m.register_forward_hook(lambda *a: None, with_kwargs=True, always_call=True)
    h2 = m.register_forward_pre_hook(lambda *a: None, with_kwargs=True)
    assert isinstance(h1.id, int) and h2.id > h1.id
    assert h1.id in m._forward_hooks_with_kwargs and h1.id in m._forward_hooks_always_called
    with h2:
        assert h2.id in m._forward_pre_hooks
    assert h2.id not in m._forward_pre_hooks and h2.id not in m._forward_pre_hooks_with_kwargs
    h1.remove()
    assert not m._forward_hooks and not m._forward_hooks_with_kwargs
    assert not m._forward_hooks_always_called
    assert type(h1).__name__ == type(torch.nn.Linear(1, 1).register_forward_hook(print)).__name__


# ------------------------------------------------------------------------------ backward hooks


def _two_inputs(lib):
    class Mul(lib.nn.Module):
        def forward(self, x, y, k=2.0):
            return x * y * k, x + y

    return Mul()


def test_full_backward_pre_hook_sees_and_replaces_grad_output():
    def run(lib):
        m, calls = _two_inputs(lib), []

        def pre(mod, grad_output):
            calls.append(("pre", _plain(grad_output)))
            return tuple(None if g is None else g * 3 for g in grad_output)

        def full(mod, grad_input, grad_output):
            calls.append(("full", _plain(grad_input), _plain(grad_output)))

        m.register_full_backward_pre_hook(pre)
        m.register_full_backward_pre_hook(lambda mod, g: calls.append("first"), prepend=True)
        m.register_full_backward_hook(full)
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, -1.0])  # a tensor that needs no gradient: zeros in grad_input
        a, b = m(x, y, 5.0)
        (a * lib.tensor([1.0, 2.0]) + b).sum().backward()
        return calls, _plain(x.grad)

    calls, grad = _both(run)
    assert grad == [48.0, -27.0]  # 3·(y·5·[1, 2] + 1)


def test_full_backward_hook_without_input_grads_warns_as_torch():
    def run(lib):
        weight = lib.nn.Parameter(lib.ones(2))

        class Weighted(lib.nn.Module):
            def forward(self, x):
                return x * weight

        m, calls = Weighted(), []
        m.register_full_backward_hook(lambda mod, gi, go: calls.append((gi, _plain(go))))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m(lib.ones(2)).sum().backward()
        messages = [str(w.message) for w in caught if "Full backward hook" in str(w.message)]
        m2 = Weighted()
        m2.register_full_backward_hook(lambda mod, gi, go: (lib.ones(2),))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError) as err:
                m2(lib.ones(2)).sum().backward()
        return calls, messages, str(err.value)

    _both(run)


@pytest.mark.parametrize("layer", ["ReLU", "Sigmoid", "Tanh"])
def test_legacy_backward_hook_equals_torch(layer):
    def run(lib):
        m, calls = getattr(lib.nn, layer)(), []
        h = m.register_backward_hook(lambda mod, gi, go: calls.append(_plain((gi, go))))
        x = lib.tensor([-1.0, 0.5, 2.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (m(x) * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        future = [str(w.message)[:60] for w in caught if w.category is FutureWarning]
        with pytest.raises(RuntimeError) as err:
            m.register_full_backward_hook(lambda *a: None)
        h.remove()
        return calls, future, str(err.value)

    _both(run)


def test_full_then_legacy_backward_hook_raises_as_torch():
    def run(lib):
        m = lib.nn.ReLU()
        m.register_full_backward_hook(lambda *a: None)
        with pytest.raises(RuntimeError) as err:
            m.register_backward_hook(lambda *a: None)
        return str(err.value)

    _both(run)


# ------------------------------------------------------------------------------ global hooks


def test_global_module_hooks_equal_torch():
    def run(lib):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Tanh())
        calls, module = [], MODULE_OF[lib]
        handles = [
            module.register_module_forward_pre_hook(
                lambda m, a: calls.append(("pre", type(m).__name__))
            ),
            module.register_module_forward_hook(
                lambda m, a, o: calls.append(("fwd", type(m).__name__, _plain(o)))
            ),
            module.register_module_full_backward_hook(
                lambda m, gi, go: calls.append(("bwd", type(m).__name__, _plain(gi)))
            ),
            module.register_module_full_backward_pre_hook(
                lambda m, go: calls.append(("bwd_pre", type(m).__name__))
            ),
        ]
        net[0].register_forward_hook(lambda m, a, o: calls.append("own"))
        try:
            x = lib.tensor([[1.0, -2.0, 0.5]], requires_grad=True)
            net(x).sum().backward()
        finally:
            for h in handles:
                h.remove()
        net(x)  # no global hooks any more
        return calls, _plain(x.grad)

    _both(run)


# ------------------------------------------------------------------------------ state dict hooks


def test_state_dict_hooks_equal_torch():
    def run(lib):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(2, 1), lib.nn.BatchNorm1d(1))
        calls = []
        net[0].register_state_dict_pre_hook(lambda m, p, k: calls.append(("pre", p, k)))

        def post(m, sd, prefix, meta):
            calls.append(("post", prefix, sorted(meta)))
            sd[prefix + "note"] = lib.zeros(1)

        net[1].register_state_dict_post_hook(post)
        net._register_state_dict_hook(
            lambda m, sd, p, meta: OrderedDict((k, v) for k, v in sd.items() if "running" not in k)
        )
        keys = list(net.state_dict(keep_vars=True))
        bad = lib.nn.Linear(1, 1)
        bad.register_state_dict_post_hook(lambda *a: {})
        with pytest.raises(RuntimeError) as err:
            bad.state_dict()
        return calls, keys, str(err.value)

    _both(run)


def test_load_state_dict_hooks_equal_torch():
    def run(lib):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(2, 1), lib.nn.Linear(1, 1))
        calls = []

        def rename(module, sd, prefix, meta, strict, missing, unexpected, errors):
            calls.append(("pre", type(module).__name__, prefix, sorted(sd), strict))
            if prefix + "w" in sd:
                sd[prefix + "weight"] = sd.pop(prefix + "w")

        def allow_missing_bias(module, keys):
            calls.append(("post", list(keys.missing_keys), list(keys.unexpected_keys)))
            keys.missing_keys[:] = [k for k in keys.missing_keys if not k.endswith("bias")]

        net[0].register_load_state_dict_pre_hook(rename)
        net.register_load_state_dict_post_hook(allow_missing_bias)
        state = {"0.w": lib.ones(1, 2), "1.weight": lib.full((1, 1), 2.0)}
        result = net.load_state_dict(state)
        unchanged = list(state)
        bad = lib.nn.Linear(1, 1)
        bad.register_load_state_dict_post_hook(lambda m, k: 1)
        with pytest.raises(AssertionError) as err:
            bad.load_state_dict(bad.state_dict())
        return calls, repr(result), _plain(net[0].weight), unchanged, str(err.value)

    _both(run)


def _with_extra(lib):
    class Counter(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(1, 1)
            self.steps = 0

        def get_extra_state(self):
            return {"steps": self.steps}

        def set_extra_state(self, state):
            self.steps = state["steps"]

    return Counter()


def test_extra_state_equals_torch():
    def run(lib):
        a, b = _with_extra(lib), _with_extra(lib)
        a.steps = 7
        sd = a.state_dict()
        keys = list(sd)
        b.load_state_dict(sd)
        missing = {k: v for k, v in sd.items() if k != "_extra_state"}
        with pytest.raises(RuntimeError) as err:
            b.load_state_dict(missing)
        outer = lib.nn.Sequential(lib.nn.Linear(1, 1))
        result = outer.load_state_dict({**outer.state_dict(), "0._extra_state": 1}, strict=False)
        return keys, sd["_extra_state"], b.steps, str(err.value), repr(result)

    keys, extra, steps, _, _ = _both(run)
    assert keys[0] == "_extra_state" and steps == 7 and extra == {"steps": 7}


# ------------------------------------------------------------------------------ nn.Buffer


def test_buffer_assignment_registers_a_buffer_as_torch():
    def run(lib):
        class Stats(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.mean = lib.nn.Buffer(lib.zeros(2))
                self.scratch = lib.nn.Buffer(lib.ones(1), persistent=False)
                self.grad_buffer = lib.nn.Buffer(lib.ones(1, requires_grad=True))

        s = Stats()
        s.mean = lib.ones(2)  # a plain tensor into an existing buffer keeps it a buffer
        s.scratch = lib.nn.Buffer(lib.zeros(3))  # a Buffer brings its own persistence
        checks = (
            [n for n, _ in s.named_buffers()],
            list(s.state_dict()),
            isinstance(s.mean, lib.nn.Buffer),
            isinstance(s.grad_buffer, lib.nn.Buffer),
            s.grad_buffer.requires_grad,
            s.grad_buffer.is_leaf,
            isinstance(lib.ones(1), lib.nn.Buffer),
            type(lib.nn.Buffer(lib.ones(1))).__name__,
            lib.nn.Buffer().shape == (0,),
        )
        with pytest.raises(TypeError) as err:
            s.mean = 3
        with pytest.raises(KeyError):
            s.training_buffer = 1
            s.training_buffer = lib.nn.Buffer(lib.ones(1))
        return checks, str(err.value).split("'")[2]

    _both(run)


# ------------------------------------------------------------------------------ Sequential


def _structure(seq):
    return [(name, id(m)) for name, m in seq._modules.items()]


def test_sequential_list_operations_equal_torch():
    def run(lib):
        lib.manual_seed(0)
        a, b, c = lib.nn.Linear(1, 1), lib.nn.ReLU(), lib.nn.Tanh()
        ids = {id(a): "a", id(b): "b", id(c): "c"}

        def names(seq):
            return [(n, ids.get(i, "?")) for n, i in _structure(seq)]

        seq = lib.nn.Sequential(a, b, c)
        popped = ids[id(seq.pop(1))]
        after_pop = names(seq)
        doubled = 2 * seq
        tripled = seq * 3
        seq2 = lib.nn.Sequential(a, b)
        seq2 *= 2
        seq3 = lib.nn.Sequential(a)
        seq3 += lib.nn.Sequential(b, c)
        seq3.insert(-1, lib.nn.Sequential())
        summed = lib.nn.Sequential(a) + lib.nn.Sequential(c)
        errors = []
        for bad in (lambda: seq * 0, lambda: seq * 1.5, lambda: seq + [a]):
            with pytest.raises((ValueError, TypeError)) as err:
                bad()
            errors.append((type(err.value).__name__, str(err.value).split(" ")[0]))
        with pytest.raises(AssertionError):
            seq.insert(0, "not a module")
        return (
            popped,
            after_pop,
            names(doubled),
            type(doubled).__name__,
            names(tripled),
            names(seq2),
            [n for n, _ in names(seq3)],
            names(summed),
            errors,
        )

    _both(run)


def test_positional_state_dict_arguments_warn_as_torch():
    def run(lib):
        m = lib.nn.Linear(1, 1)
        with pytest.warns(FutureWarning) as caught:
            sd = m.state_dict(None, "net.")
        return list(sd), str(caught[0].message)

    _both(run)
