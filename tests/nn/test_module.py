"""Module machinery against torch: registration, names and order, state_dict / load_state_dict,
repr, modes, dtype conversion, hooks (forward and full backward), containers, nn.utils."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import gradiente
import gradiente.nn as nn
from conftest import assert_same

torch = pytest.importorskip("torch")


def _rand(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape)


def make_net(m):
    """A nested model built the same way with gradiente (m = gradiente) and torch (m = torch)."""

    class Block(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = m.nn.Linear(4, 4)
            self.norm = m.nn.BatchNorm1d(4)
            self.register_buffer("scale", m.ones(4))
            self.register_buffer("cache", m.zeros(2), persistent=False)

        def forward(self, x):
            return self.norm(self.fc(x)).relu() * self.scale

    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU())
            self.blocks = m.nn.ModuleList([Block(), Block()])
            self.heads = m.nn.ModuleDict({"a": m.nn.Linear(4, 2), "b": m.nn.Linear(4, 1)})
            self.gain = m.nn.Parameter(m.ones(1))

        def forward(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x)
            return m.cat([self.heads["a"](x), self.heads["b"](x)], 1) * self.gain

    m.manual_seed(0)
    return Net()


def test_names_and_order_equal_torch():
    g, t = make_net(gradiente), make_net(torch)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_parameters(prefix="net", recurse=False)] == ["net.gain"]
    assert len(list(g.parameters())) == len(list(t.parameters()))
    assert len(list(g.modules())) == len(list(t.modules()))


def test_state_dict_values_are_detached_and_share_memory():
    g = make_net(gradiente)
    sd = g.state_dict()
    w = sd["stem.0.weight"]
    assert not w.requires_grad and type(w) is gradiente.Tensor
    w[0, 0] = 42.0
    assert float(g.stem[0].weight[0, 0]) == 42.0
    assert isinstance(g.state_dict(keep_vars=True)["gain"], nn.Parameter)
    assert sd["blocks.0.norm.num_batches_tracked"].dtype == gradiente.int64


def test_load_state_dict_from_torch_gives_the_same_outputs():
    g, t = make_net(gradiente).double(), make_net(torch).double()
    result = g.load_state_dict(
        {k: gradiente.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()}
    )
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert (
        repr(result) == repr(t.load_state_dict(t.state_dict())) == "<All keys matched successfully>"
    )
    x = _rand((5, 3))
    for mode in (True, False):
        g.train(mode)
        t.train(mode)
        assert_same(g(gradiente.from_numpy(x)), t(torch.from_numpy(x)))


def _mutated_state(m, sd):
    bad = OrderedDict((k, v) for k, v in sd.items() if k != "blocks.1.fc.bias")
    bad["extra.weight"] = m.zeros(2)
    bad["stem.0.weight"] = m.zeros(5, 3)
    return bad


def test_strict_load_failure_lists_problems_like_torch_and_leaves_module_unchanged():
    g, t = make_net(gradiente), make_net(torch)
    before = {k: v.numpy().copy() for k, v in g.state_dict().items()}
    source = make_net(gradiente)
    for p in source.parameters():
        p.data = p.data + 1.0
    with pytest.raises(RuntimeError) as g_err:
        g.load_state_dict(_mutated_state(gradiente, source.state_dict()))
    with pytest.raises(RuntimeError) as t_err:
        t.load_state_dict(_mutated_state(torch, t.state_dict()))
    assert str(g_err.value) == str(t_err.value)
    for k, v in g.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)


def test_non_strict_load_reports_keys_and_copies():
    g = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    t = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    g_res = g.load_state_dict(
        {"0.weight": gradiente.ones(3, 2), "x": gradiente.ones(1)}, strict=False
    )
    t_res = t.load_state_dict({"0.weight": torch.ones(3, 2), "x": torch.ones(1)}, strict=False)
    assert g_res.missing_keys == t_res.missing_keys
    assert g_res.unexpected_keys == t_res.unexpected_keys
    assert repr(g_res) == repr(t_res)
    assert float(g[0].weight.sum()) == 6.0
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        g.load_state_dict({"0.weight": gradiente.ones(2, 2)}, strict=False)


def test_old_state_dict_without_num_batches_tracked_loads():
    bn = nn.BatchNorm1d(3)
    sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    assert bn.load_state_dict(sd).missing_keys == []  # no version: an old state dict
    current = OrderedDict(sd)
    current._metadata = bn.state_dict()._metadata  # version 2: the key is required
    with pytest.raises(RuntimeError, match='Missing key.*"num_batches_tracked"'):
        bn.load_state_dict(current)


def test_load_state_dict_assign():
    g = nn.Linear(2, 3)
    w = gradiente.ones(3, 2, dtype=gradiente.float64)
    g.load_state_dict({"weight": w, "bias": gradiente.zeros(3)}, assign=True)
    assert g.weight.dtype == gradiente.float64 and isinstance(g.weight, nn.Parameter)
    assert g.weight.requires_grad


def test_repr_of_nested_model_equals_torch():
    def build(m):
        return m.nn.Sequential(
            m.nn.Linear(2, 3),
            m.nn.ReLU(),
            m.nn.Sequential(m.nn.Dropout(0.2), m.nn.BatchNorm1d(3), m.nn.LeakyReLU(0.2)),
            m.nn.ModuleList([m.nn.Linear(3, 3), m.nn.Linear(3, 3), m.nn.Tanh()]),
            m.nn.ModuleDict({"act": m.nn.GELU(approximate="tanh"), "flat": m.nn.Flatten()}),
            m.nn.LayerNorm(3),
            m.nn.Identity(),
            m.nn.Softmax(dim=1),
        )

    assert repr(build(gradiente)) == repr(build(torch))
    assert repr(make_net(gradiente)) == repr(make_net(torch))
    assert repr(gradiente.nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_parameter_basics_and_repr():
    p = nn.Parameter(gradiente.tensor([1.0, 2.0]))
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert isinstance(p, gradiente.Tensor) and p.requires_grad and p.is_leaf
    assert type(p * 2) is gradiente.Tensor
    assert not nn.Parameter(gradiente.ones(2), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.requires_grad
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, nn.Parameter) and r.tolist() == [1.0, 2.0]


def test_attribute_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(gradiente.ones(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("buf", gradiente.zeros(2))
    m.plain = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"]
    assert list(m._buffers) == ["buf"] and m.plain == 3
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter 'w'"):
        m.w = gradiente.ones(2)
    m.w = None
    assert m.w is None and list(m.parameters()) == list(m.sub.parameters())
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("plain", gradiente.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nothing'"):
        _ = m.nothing
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="before Module.__init__"):

        class Broken(nn.Module):
            def __init__(self):
                self.w = nn.Parameter(gradiente.ones(1))

        Broken()


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_train_eval_zero_grad_requires_grad():
    net = make_net(gradiente)
    net.eval()
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")
    out = net(gradiente.from_numpy(_rand((4, 3)).astype(np.float32)))
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_double_keeps_parameter_objects_and_integer_buffers():
    net = make_net(gradiente)
    params = list(net.parameters())
    assert net.double() is net
    assert all(a is b for a, b in zip(params, net.parameters(), strict=True))
    assert all(p.dtype == gradiente.float64 for p in net.parameters())
    assert net.blocks[0].norm.running_mean.dtype == gradiente.float64
    assert net.blocks[0].norm.num_batches_tracked.dtype == gradiente.int64
    net.to(gradiente.float32)
    assert all(p.dtype == gradiente.float32 for p in net.parameters())
    net.to("cpu")
    net.to(gradiente.zeros(1, dtype=gradiente.float64))
    assert net.gain.dtype == gradiente.float64
    assert net.float().cpu() is net and net.gain.dtype == gradiente.float32
    with pytest.raises(RuntimeError, match="not available"):
        net.to("cuda")


def test_apply_and_get_submodule():
    net = make_net(gradiente)
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"

    def init_linear(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.bias)

    net.apply(init_linear)
    assert float(net.heads["a"].bias.abs().sum()) == 0.0
    assert net.get_submodule("blocks.1.fc") is net.blocks[1].fc
    assert net.get_parameter("blocks.1.fc.weight") is net.blocks[1].fc.weight
    assert net.get_buffer("blocks.0.norm.running_var") is net.blocks[0].norm.running_var
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("blocks.nope")


def test_deepcopy_and_pickle_roundtrip():
    net = make_net(gradiente)
    seq = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    for clone, original in ((copy.deepcopy(net), net), (pickle.loads(pickle.dumps(seq)), seq)):
        assert list(clone.state_dict()) == list(original.state_dict())
        for a, b in zip(clone.parameters(), original.parameters(), strict=True):
            assert isinstance(a, nn.Parameter) and a is not b and a.requires_grad
            assert a.tolist() == b.tolist()
        x = gradiente.from_numpy(_rand((2, 3)).astype(np.float32))
        assert clone.eval()(x).tolist() == original.eval()(x).tolist()


# ----------------------------------------------------------------------------------- hooks


def test_forward_hooks_change_input_and_output_and_can_be_removed():
    lin = nn.Linear(2, 2)
    calls = []
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(gradiente.ones(3, 2))
    expected = np.broadcast_to(lin.bias.detach().numpy() + 1, (3, 2)).copy()
    assert_same(out, torch.from_numpy(expected))
    assert calls == [(3, 2)]
    pre.remove()
    post.remove()
    assert not lin._forward_pre_hooks and not lin._forward_hooks


def _backward_hook_record(m_lib, module, x_array, returns=None):
    record = []

    def hook(mod, grad_input, grad_output):
        record.append(
            (
                [None if g is None else g.numpy().copy() for g in grad_input],
                [None if g is None else g.numpy().copy() for g in grad_output],
            )
        )
        return returns(grad_input) if returns else None

    module.register_full_backward_hook(hook)
    x = m_lib.from_numpy(x_array.copy()).requires_grad_()
    out = module(x)
    out.backward(m_lib.from_numpy(_rand(tuple(out.shape), 7)))
    return record, x.grad.numpy()


@pytest.mark.parametrize("returns", [None, "double"])
def test_full_backward_hook_matches_torch(returns):
    def make(m):
        m.manual_seed(0)
        return m.nn.Sequential(m.nn.Linear(3, 4), m.nn.Tanh(), m.nn.Linear(4, 2)).double()

    fn = (lambda grads: tuple(g * 2 for g in grads)) if returns else None
    x = _rand((5, 3))
    g_rec, g_grad = _backward_hook_record(gradiente, make(gradiente), x, fn)
    t_rec, t_grad = _backward_hook_record(torch, make(torch), x, fn)
    assert len(g_rec) == len(t_rec) == 1
    for g_side, t_side in zip(g_rec[0], t_rec[0], strict=True):
        for a, b in zip(g_side, t_side, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10)
    np.testing.assert_allclose(g_grad, t_grad, rtol=1e-10)


def test_full_backward_hook_without_input_grad():
    lin = nn.Linear(3, 2)
    got = []
    lin.register_full_backward_hook(lambda m, gi, go: got.append((gi, go[0].shape)))
    lin(gradiente.ones(4, 3)).sum().backward()
    assert got == [((None,), (4, 2))]


# ------------------------------------------------------------------------------ containers


def test_sequential_indexing_slicing_and_growth():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and seq[1] is list(seq)[1]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head._modules) == ["0", "1"]
    assert repr(seq[1:]) == repr(
        torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))[1:]
    )
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    seq.append(nn.Sigmoid())
    assert list(seq._modules) == ["0", "1", "2", "3"]
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"] and isinstance(seq[1], nn.Linear)
    seq[0] = nn.Linear(2, 3, bias=False)
    assert seq[0].bias is None
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is named[1]
    out = named(gradiente.ones(1, 2))
    assert out.shape == (1, 2)
    assert len(seq + named) == 5


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Linear", "Sigmoid", "ReLU", "Tanh"]
    assert isinstance(ml[-1], nn.Tanh) and len(ml[1:]) == 3
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"]
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    md["b"] = nn.ReLU()
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    assert isinstance(md.pop("b"), nn.ReLU) and list(md) == ["a"]


def test_parameter_list_and_dict_match_torch():
    def build(m):
        m.manual_seed(0)
        mod = m.nn.Module()
        mod.plist = m.nn.ParameterList([m.nn.Parameter(m.ones(2, 3)), m.zeros(4)])
        mod.pdict = m.nn.ParameterDict({"a": m.nn.Parameter(m.ones(1))})
        return mod

    g, t = build(gradiente), build(torch)
    assert list(g.state_dict()) == list(t.state_dict())
    assert repr(g) == repr(t)
    assert isinstance(g.plist[1], nn.Parameter) and len(g.plist) == 2
    assert g.pdict["a"].shape == (1,)


@pytest.mark.parametrize("kind", ["ModuleDict", "ParameterDict"])
def test_container_dicts_share_torchs_dict_protocol(kind):
    def build(m):
        m.manual_seed(0)
        if kind == "ModuleDict":
            entries = {"a": m.nn.Linear(1, 2), "b": m.nn.ReLU(), "c": m.nn.Tanh()}
        else:
            entries = {k: m.nn.Parameter(m.ones(i + 1)) for i, k in enumerate("abc")}
        return getattr(m.nn, kind)(entries)

    g, t = build(gradiente), build(torch)
    for d in (g, t):
        d.pop("b")
    assert list(g) == list(t) == ["a", "c"] and list(g.keys()) == list(t.keys())
    assert len(g) == len(t) == 2 and "b" not in g and "b" not in t
    assert list(g.state_dict()) == list(t.state_dict())
    g.clear()
    t.clear()
    assert len(g) == len(t) == 0 and list(g.state_dict()) == list(t.state_dict()) == []


def test_sequential_and_module_list_share_append():
    for container in (nn.Sequential(nn.ReLU()), nn.ModuleList([nn.ReLU()])):
        assert container.append(nn.Tanh()) is container
        assert len(container) == 2 and list(container._modules) == ["0", "1"]
        assert [type(m).__name__ for m in container] == ["ReLU", "Tanh"]


# ---------------------------------------------------------------------------------- utils


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    grads = [_rand((3, 4), 1), _rand((5,), 2)]
    g_params = [nn.Parameter(gradiente.zeros(*a.shape, dtype=gradiente.float64)) for a in grads]
    t_params = [torch.nn.Parameter(torch.zeros(a.shape, dtype=torch.float64)) for a in grads]
    for gp, tp, a in zip(g_params, t_params, grads, strict=True):
        gp.grad = gradiente.from_numpy(a.copy())
        tp.grad = torch.from_numpy(a.copy())
    g_norm = nn.utils.clip_grad_norm_(g_params, max_norm, norm_type)
    t_norm = torch.nn.utils.clip_grad_norm_(t_params, max_norm, norm_type)
    assert_same(g_norm, t_norm)
    for gp, tp in zip(g_params, t_params, strict=True):
        assert_same(gp.grad, tp.grad)


def test_clip_grad_value_and_vector_roundtrip_match_torch():
    a = _rand((3, 4), 3) * 5
    gp = nn.Parameter(gradiente.from_numpy(a.copy()))
    tp = torch.nn.Parameter(torch.from_numpy(a.copy()))
    gp.grad, tp.grad = gradiente.from_numpy(a.copy()), torch.from_numpy(a.copy())
    nn.utils.clip_grad_value_(gp, 1.5)
    torch.nn.utils.clip_grad_value_(tp, 1.5)
    assert_same(gp.grad, tp.grad)
    g_net = make_net(gradiente)
    t_net = make_net(torch)
    g_vec = nn.utils.parameters_to_vector(g_net.parameters())
    assert_same(g_vec, torch.nn.utils.parameters_to_vector(t_net.parameters()))
    nn.utils.vector_to_parameters(g_vec * 0 + 2, g_net.parameters())
    assert all(float(p.min()) == 2.0 for p in g_net.parameters())
