"""Hunt 6 findings on nn and autograd, each checked against torch 2.13: the norm-layer class
hierarchy (InstanceNorm is not a _BatchNorm), gradcheck of functions that call autograd.grad,
``autograd.grad(is_grads_batched=True)``, the embedding's double backward, the optimizer hooks
and flag checks, torch's autocast state queries, and ``torch.random``'s state tensor."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn as gnn
from conftest import torch_and_gradiente_print
from gradiente.autograd import gradcheck, gradgradcheck


def _torch():
    return pytest.importorskip("torch")


def _same_output(code: str) -> str:
    expected, got = torch_and_gradiente_print(code)
    assert got == expected
    return got


# ------------------------------------------------------------------ 1. norm class hierarchy
NORM_CLASSES = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "SyncBatchNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "GroupNorm",
    "LayerNorm",
    "RMSNorm",
    "LocalResponseNorm",
]


def _norm_bases(nn_module, batchnorm_module, instancenorm_module):
    return {
        "_NormBase": batchnorm_module._NormBase,
        "_BatchNorm": batchnorm_module._BatchNorm,
        "_InstanceNorm": instancenorm_module._InstanceNorm,
        **{name: getattr(nn_module, name) for name in NORM_CLASSES},
    }


def test_every_subclass_relation_among_the_norm_classes_is_torchs():
    torch = _torch()
    from torch.nn.modules import batchnorm, instancenorm

    from gradiente.nn.layers import normalization

    theirs = _norm_bases(torch.nn, batchnorm, instancenorm)
    ours = _norm_bases(gnn, normalization, normalization)
    relations = {(a, b): issubclass(theirs[a], theirs[b]) for a in theirs for b in theirs if a != b}
    assert {(a, b): issubclass(ours[a], ours[b]) for a, b in relations} == relations
    assert (
        relations[("InstanceNorm2d", "_NormBase")]
        and not relations[("InstanceNorm2d", "_BatchNorm")]
    )
    # the MRO's names, for the classes torch shows without gradiente-only bases
    for name in [
        "BatchNorm2d",
        "InstanceNorm1d",
        "LazyBatchNorm2d",
        "LazyInstanceNorm3d",
        "SyncBatchNorm",
        "GroupNorm",
        "LayerNorm",
    ]:
        assert [c.__name__ for c in ours[name].__mro__] == [
            c.__name__ for c in theirs[name].__mro__
        ], name


def test_freezing_every_batchnorm_leaves_instancenorm_alone_under_the_torch_alias():
    out = _same_output("""
        import torch, torch.nn as nn
        from torch.nn.modules.batchnorm import _BatchNorm, _NormBase
        from torch.nn.modules.instancenorm import _InstanceNorm
        net = nn.Sequential(
            nn.Conv2d(3, 4, 3), nn.InstanceNorm2d(4, affine=True), nn.BatchNorm2d(4)
        )
        for m in net.modules():
            if isinstance(m, _BatchNorm):
                m.eval(); m.requires_grad_(False)
        print([m.training for m in net], [p.requires_grad for p in net.parameters()])
        for m in [nn.InstanceNorm1d(3), nn.BatchNorm1d(3), nn.LazyBatchNorm1d(),
                  nn.LazyInstanceNorm2d(), nn.GroupNorm(1, 2), nn.SyncBatchNorm(2)]:
            print(type(m).__name__, isinstance(m, _BatchNorm), isinstance(m, _NormBase),
                  isinstance(m, _InstanceNorm), isinstance(m, nn.BatchNorm1d))
        lazy = nn.LazyBatchNorm2d()
        lazy(torch.ones(2, 3, 2, 2))
        print(type(lazy).__name__, isinstance(lazy, nn.BatchNorm2d), lazy.weight.shape)
        inorm = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
        print(inorm, abs(inorm(torch.arange(24.0).reshape(2, 3, 2, 2)).sum().item()) < 1e-5)
        print(sorted(inorm.state_dict()), inorm.running_mean)
        try:
            nn.GroupNorm(3, 4)
        except ValueError as e:
            print(e)
    """)
    assert "[True, True, False] [True, True, True, True, False, False]" in out


# ------------------------------------------------------------------ 2. gradcheck of autograd users
def _penalty(lib):
    seen = []

    def f(x):
        seen.append(lib.is_grad_enabled())
        (g,) = lib.autograd.grad((x**3).sum(), x, create_graph=True)
        return g.pow(2).sum()

    return f, seen


def test_gradcheck_runs_func_with_grad_mode_on_as_torch():
    torch = _torch()
    x = gradiente.tensor([0.3, -1.2, 0.7], dtype=gradiente.float64, requires_grad=True)
    f, seen = _penalty(gradiente)
    assert gradcheck(f, (x,)) is True
    assert gradgradcheck(f, (x,)) is True
    assert set(seen) == {True}

    tx = torch.tensor([0.3, -1.2, 0.7], dtype=torch.float64, requires_grad=True)
    tf, tseen = _penalty(torch)
    assert torch.autograd.gradcheck(tf, (tx,)) is True and set(tseen) == {True}
    # the function's own values and its gradient match torch's
    np.testing.assert_allclose(f(x).item(), tf(tx).item(), rtol=1e-12)
    (g,) = gradiente.autograd.grad(f(x), x)
    (tg,) = torch.autograd.grad(tf(tx), tx)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


def test_gradcheck_under_no_grad_fails_as_torchs_does():
    torch = _torch()
    with torch.no_grad(), pytest.raises(RuntimeError):
        torch.autograd.gradcheck(
            lambda t: (t**2).sum(), (torch.ones(2, dtype=torch.float64, requires_grad=True),)
        )
    x = gradiente.ones(2, dtype=gradiente.float64, requires_grad=True)
    with gradiente.no_grad(), pytest.raises(RuntimeError):
        gradcheck(lambda t: (t**2).sum(), (x,))


# ------------------------------------------------------------------ 3. is_grads_batched
def test_is_grads_batched_gives_torchs_jacobians_and_errors():
    _same_output("""
        import torch
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        print(torch.autograd.grad(x * 2, x, grad_outputs=torch.eye(3), is_grads_batched=True))
        y = (x ** 3).sum()
        for kw in [dict(grad_outputs=None), dict(grad_outputs=torch.arange(4.0)),
                   dict(grad_outputs=torch.ones(4, 2))]:
            try: print(torch.autograd.grad(y, x, is_grads_batched=True, retain_graph=True, **kw))
            except Exception as e: print(type(e).__name__, e)
        z = x ** 2
        try: print(torch.autograd.grad([y, z], x, grad_outputs=[torch.ones(2), torch.ones(3, 3)],
                                       is_grads_batched=True, retain_graph=True))
        except Exception as e: print(type(e).__name__, e)
        print(torch.autograd.grad([y, z], x, grad_outputs=[torch.ones(3), torch.eye(3)],
                                  is_grads_batched=True, retain_graph=True))
        w = torch.ones(2, requires_grad=True)
        print(torch.autograd.grad(z, [x, w], grad_outputs=torch.eye(3), is_grads_batched=True,
                                  allow_unused=True, retain_graph=True))
        print(torch.autograd.grad(z, [x, w], grad_outputs=torch.eye(3), is_grads_batched=True,
                                  materialize_grads=True, retain_graph=True))
        try: print(torch.autograd.grad(z, [x], grad_outputs=torch.ones(0, 3), is_grads_batched=True,
                                       retain_graph=True))
        except Exception as e: print(type(e).__name__)
        try: print(torch.autograd.grad(z, [x, w], grad_outputs=torch.eye(3), is_grads_batched=True,
                                       retain_graph=True))
        except Exception as e: print(type(e).__name__, e)
        J, = torch.autograd.grad(z, x, grad_outputs=2 * torch.eye(3), is_grads_batched=True,
                                 create_graph=True)
        print(J.detach(), J.requires_grad)
        J.sum().backward(); print(x.grad)
        J, = torch.autograd.grad(x.sin(), x, grad_outputs=torch.eye(3), is_grads_batched=True)
        print(J)
        try: x.sin().backward(torch.ones(3)); print("fresh graph ok")
        except Exception as e: print(type(e).__name__)
    """)


def test_is_grads_batched_jacobian_double_backward_gradcheck():
    x = gradiente.tensor([0.4, -0.8, 1.5], dtype=gradiente.float64, requires_grad=True)

    def jacobian_of_tanh(t):
        (J,) = gradiente.autograd.grad(
            t.tanh() * t,
            t,
            gradiente.eye(3, dtype=gradiente.float64),
            is_grads_batched=True,
            create_graph=True,
        )
        return J

    assert gradcheck(jacobian_of_tanh, (x,))


# ------------------------------------------------------------------ 4. embedding double backward
@pytest.mark.parametrize("padding_idx, scale", [(None, False), (2, False), (None, True), (1, True)])
def test_embedding_double_backward_matches_torch(padding_idx, scale):
    torch = _torch()
    w0 = np.random.default_rng(3).standard_normal((5, 3))
    idx = [[1, 2], [2, 4]]
    results = []
    for lib, F in ((gradiente, gradiente.nn.functional), (torch, torch.nn.functional)):
        w = lib.tensor(w0, requires_grad=True)
        i = lib.tensor(idx)
        y = F.embedding(i, w, padding_idx=padding_idx, scale_grad_by_freq=scale).pow(3).sum(-1)
        (g,) = lib.autograd.grad(y.sum(), w, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), w, create_graph=True)
        h.sum().backward()
        results.append((g.detach().numpy(), h.detach().numpy(), w.grad.numpy(), h.grad_fn.name()))
    ours, theirs = results
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert ours[3] == theirs[3] == "EmbeddingDenseBackwardBackward0"


def test_embedding_gradgradcheck_float64():
    torch = _torch()
    w0 = np.random.default_rng(4).standard_normal((6, 2))
    idx = [[0, 3, 3], [5, 0, 1]]
    for lib, check, checkgrad in (
        (gradiente, gradcheck, gradgradcheck),
        (torch, torch.autograd.gradcheck, torch.autograd.gradgradcheck),
    ):
        w = lib.tensor(w0, requires_grad=True)
        i = lib.tensor(idx)

        def f(w, lib=lib, i=i):
            return lib.nn.functional.embedding(i, w).sin() * lib.nn.functional.embedding(i, w)

        assert check(f, (w,)) and checkgrad(f, (w,))


def test_nn_embedding_hessian_vector_product_as_in_the_finding():
    _same_output("""
        import torch
        torch.manual_seed(0)
        emb = torch.nn.Embedding(5, 3); idx = torch.tensor([1, 2, 2])
        g, = torch.autograd.grad(emb(idx).pow(3).sum(), emb.weight, create_graph=True)
        g.sum().backward(); print(emb.weight.grad, g.grad_fn.name())
    """)


# ------------------------------------------------------------------ 5. optimizer hooks
def test_optimizer_hooks_run_as_torchs():
    _same_output("""
        import torch, copy
        from torch.optim.optimizer import (register_optimizer_step_pre_hook,
                                           register_optimizer_step_post_hook)
        p = torch.nn.Parameter(torch.ones(2))
        opt = torch.optim.SGD([p], lr=0.1)
        log = []
        h1 = opt.register_step_pre_hook(
            lambda o, a, k: log.append(("pre", type(o).__name__, len(a), a[0] is o, dict(k))))
        h2 = opt.register_step_post_hook(lambda o, a, k: log.append(("post", len(a), sorted(k))))
        g1 = register_optimizer_step_pre_hook(lambda o, a, k: log.append(("gpre",)))
        g2 = register_optimizer_step_post_hook(lambda o, a, k: log.append(("gpost",)))
        print(type(h1).__name__, type(g1).__name__, isinstance(h1.id, int), h1.id != h2.id)
        p.grad = torch.ones(2)
        print(opt.step(), log); log.clear()
        h3 = opt.register_step_pre_hook(
            lambda o, a, k: ((a[0],), {"closure": lambda: torch.tensor(7.0)}))
        print(opt.step(), log); log.clear()
        for h in (h3, g1, g2, h1, h2):
            h.remove()
        opt.step(); print(log, p)
        bad = opt.register_step_pre_hook(lambda o, a, k: 5)
        try:
            opt.step()
        except RuntimeError as e:
            print("RuntimeError", str(e).split(" must")[1])
        bad.remove()
        order = []
        opt.register_state_dict_pre_hook(lambda o: order.append("sd_pre1"))
        opt.register_state_dict_pre_hook(lambda o: order.append("sd_pre0"), prepend=True)
        def sd_post(o, sd):
            order.append("sd_post"); sd["extra"] = 1; return sd
        opt.register_state_dict_post_hook(sd_post)
        opt.register_state_dict_post_hook(lambda o, sd: order.append("sd_post0"), prepend=True)
        sd = opt.state_dict(); print(order, sorted(sd)); order.clear()
        def ld_pre(o, sd):
            order.append(("ld_pre", "extra" in sd)); sd = dict(sd); sd.pop("extra")
            sd["param_groups"][0]["lr"] = 0.5; return sd
        opt.register_load_state_dict_pre_hook(ld_pre)
        opt.register_load_state_dict_post_hook(
            lambda o: order.append(("ld_post", o.param_groups[0]["lr"])))
        opt.register_load_state_dict_post_hook(lambda o: order.append("ld_post0"), prepend=True)
        opt.load_state_dict(sd); print(order, "extra" in sd, sd["param_groups"][0]["lr"])
        class MyOpt(torch.optim.Optimizer):
            def __init__(self, params): super().__init__(params, dict(lr=1.0))
            @torch.no_grad()
            def step(self, closure=None):
                for g in self.param_groups:
                    for q in g["params"]: q.sub_(q.grad * g["lr"])
                return "done"
        m = MyOpt([p]); m.register_step_post_hook(lambda o, a, k: print("custom post", len(a)))
        print(m.step(), p)
        m2 = copy.deepcopy(m)
        print(len(m2._optimizer_step_post_hooks), MyOpt.step.__name__, MyOpt.step.hooked)
        m2.step(); print(p)
    """)


# ------------------------------------------------------------------ 7. optimizer flag checks
def test_fused_with_foreach_and_capturable_on_cpu_raise_torchs_errors():
    _same_output("""
        import torch, warnings
        warnings.simplefilter("ignore")
        names = ["SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "ASGD", "NAdam",
                 "RAdam", "RMSprop", "Rprop"]
        for n in names:
            for kw in [dict(fused=True, foreach=True), dict(capturable=True), dict(fused=True),
                       dict(capturable=True, foreach=True), dict(capturable=True, fused=True)]:
                p = [torch.nn.Parameter(torch.ones(2))]
                stage = "init"
                try:
                    o = getattr(torch.optim, n)(p, lr=0.1, **kw); stage = "step"; o.step()
                    stage = "step with grad"; p[0].grad = torch.ones(2); o.step()
                    print(n, kw, "ok", p[0].tolist())
                except Exception as e:
                    print(n, kw, stage, type(e).__name__, str(e)[:150])
    """)


# ------------------------------------------------------------------ 6. autocast state
AUTOCAST_SCRIPT = """
    import warnings
    warnings.simplefilter("ignore")
    import torch
    print(torch.is_autocast_enabled(), torch.is_autocast_enabled("cpu"),
          torch.get_autocast_dtype("cpu"), torch.get_autocast_dtype("cuda"))
    print(torch.is_autocast_cpu_enabled(), torch.get_autocast_cpu_dtype(),
          torch.get_autocast_gpu_dtype())
    with torch.autocast("cpu", dtype=torch.float16):
        print(torch.is_autocast_enabled(), torch.is_autocast_enabled("cpu"),
              torch.get_autocast_dtype("cpu"), torch.is_autocast_cpu_enabled(),
              torch.get_autocast_cpu_dtype())
        with torch.autocast("cpu", enabled=False):
            print(torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"))
        print(torch.is_autocast_enabled("cpu"))
    print(torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"))
    with torch.autocast("cpu"):
        print(torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"))
    with torch.autocast("cpu", dtype=torch.float32):
        print(torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"))
    with torch.autocast("cuda", dtype=torch.bfloat16):
        print(torch.is_autocast_enabled(), torch.is_autocast_enabled("cuda"))
    with torch.cpu.amp.autocast():
        print(torch.is_autocast_enabled("cpu"))
    @torch.autocast("cpu")
    def f():
        return torch.is_autocast_enabled("cpu")
    print(f(), torch.is_autocast_enabled("cpu"))
    torch.set_autocast_enabled("cpu", True); print(torch.is_autocast_enabled("cpu"))
    torch.set_autocast_enabled("cpu", False)
    torch.set_autocast_enabled(True)
    print(torch.is_autocast_enabled(), torch.is_autocast_enabled("cuda"))
    torch.set_autocast_enabled(False)
    torch.set_autocast_dtype("cpu", torch.float16); print(torch.get_autocast_dtype("cpu"))
    torch.set_autocast_dtype("cpu", torch.bfloat16)
    torch.set_autocast_cpu_enabled(True); print(torch.is_autocast_enabled("cpu"))
    torch.set_autocast_cpu_enabled(False)
    torch.set_autocast_cpu_dtype(torch.float16); print(torch.get_autocast_dtype("cpu"))
    torch.set_autocast_cpu_dtype(torch.bfloat16)
    torch.set_autocast_gpu_dtype(torch.bfloat16); print(torch.get_autocast_dtype("cuda"))
    torch.set_autocast_gpu_dtype(torch.float16)
    print(torch.is_autocast_cache_enabled(), torch.autocast_increment_nesting(),
          torch.autocast_decrement_nesting(), torch.clear_autocast_cache())
    for bad in ["foo", "mps", "xpu", "meta", "cuda:0"]:
        try: print(bad, torch.is_autocast_enabled(bad), torch.get_autocast_dtype(bad))
        except Exception as e: print(type(e).__name__, e)
    try: torch.is_autocast_enabled(1)
    except Exception as e: print(type(e).__name__, e)
"""


def test_autocast_state_queries_report_what_was_entered():
    _same_output(AUTOCAST_SCRIPT)


def test_deprecated_autocast_queries_warn_as_torch():
    torch = _torch()
    for lib in (torch, gradiente):
        with pytest.warns(
            DeprecationWarning, match=r"torch.is_autocast_cpu_enabled\(\) is deprecated"
        ):
            assert lib.is_autocast_cpu_enabled() is False
        with pytest.warns(
            DeprecationWarning, match=r"Please use torch.get_autocast_dtype\('cuda'\)"
        ):
            assert str(lib.get_autocast_gpu_dtype()) == "torch.float16"


def test_cuda_amp_autocast_sets_cudas_state_only_with_a_device():
    from gradiente.cuda.amp import autocast

    with autocast(dtype=gradiente.bfloat16):
        assert gradiente.is_autocast_enabled() is gradiente.cuda.is_available()
        assert gradiente.get_autocast_dtype("cuda") == gradiente.bfloat16
    assert gradiente.get_autocast_dtype("cuda") == gradiente.float16


# ------------------------------------------------------------------ 7. torch.random's state
def test_torch_random_state_is_torchs_uint8_tensor():
    _same_output("""
        import torch
        s = torch.random.get_rng_state(); print(type(s).__name__, s.dtype, s.shape)
        from torch.random import get_rng_state, set_rng_state
        torch.manual_seed(3); s = get_rng_state(); a = torch.rand(3); set_rng_state(s)
        print(torch.equal(a, torch.rand(3)), s.clone().dtype)
        torch.manual_seed(3)
        print(torch.get_rng_state()[:24].tolist(), torch.get_rng_state()[-24:].tolist())
    """)
