"""Findings of the sixth outside-style hunt about what PyTorch programs import and call, fixed;
each script prints the same under torch 2.13 and under ``gradiente run``.

- module paths: ``torch.optim.optimizer`` (``Optimizer, required``), ``torch.optim.<algorithm>``,
  ``torch.random``, ``torch.autograd.variable``/``graph``, ``torch.types``,
  ``torch.nn.common_types``, ``torch.utils.model_zoo``, ``torch.nn.attention``,
  ``torch.nn.modules.fold``/``pixelshuffle``, ``torch.nn.parallel.data_parallel``;
- private names: the pooling bases, ``UninitializedParameter`` under ``torch.nn.parameter``,
  ``nn.utils.skip_init``, ``FunctionCtx``;
- torch's top-level ATen forms (``torch.conv2d``, ``torch.dropout``, ``torch.embedding``, ...),
  small Tensor methods (``hsplit``, ``adjoint``, ``conj``, ...), ``F.*_with_indices``,
  ``linalg.solve_ex``/``lu_factor_ex``, ``Module.set_submodule``/``to_empty``;
- operators refuse lists, tuples, strings, None (``x == "a"`` is False), as torch's do;
- ``__file__`` under ``gradiente run`` is what ``python script.py`` sets;
- ``with torch.device("cpu"):``, and one clear error for ``with torch.device("meta"):``.
"""

import os
import subprocess
import sys

import pytest

from conftest import torch_and_gradiente_print

pytest.importorskip("torch")


def _same(code: str) -> str:
    theirs, ours = torch_and_gradiente_print(code)
    assert ours == theirs
    return ours


def test_optimizer_modules_and_required():
    out = _same(
        """
        import torch
        from torch.optim.optimizer import Optimizer, required
        from torch.optim.adam import Adam
        from torch.optim.adamw import AdamW
        from torch.optim.sgd import SGD
        from torch.optim.rmsprop import RMSprop
        from torch.optim.adagrad import Adagrad
        from torch.optim.adadelta import Adadelta
        from torch.optim.adamax import Adamax
        from torch.optim.asgd import ASGD
        from torch.optim.lbfgs import LBFGS
        from torch.optim.nadam import NAdam
        from torch.optim.radam import RAdam
        from torch.optim.rprop import Rprop
        import torch.optim.optimizer
        print(repr(required), Optimizer is torch.optim.Optimizer, SGD is torch.optim.SGD)
        print(AdamW is torch.optim.AdamW, LBFGS is torch.optim.LBFGS, Rprop is torch.optim.Rprop)

        class Lion(Optimizer):  # the usual custom-optimizer header
            def __init__(self, params, lr=required, betas=(0.9, 0.99)):
                super().__init__(params, dict(lr=lr, betas=betas))

            @torch.no_grad()
            def step(self):
                for group in self.param_groups:
                    for p in group["params"]:
                        m = self.state[p].setdefault("m", torch.zeros_like(p))
                        b1, b2 = group["betas"]
                        p.add_(torch.sign(m * b1 + p.grad * (1 - b1)), alpha=-group["lr"])
                        m.mul_(b2).add_(p.grad, alpha=1 - b2)

        w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        try:
            Lion([w])
        except ValueError as e:
            print("ValueError", e)
        opt = Lion([w], lr=0.1)
        for _ in range(3):
            opt.zero_grad(); (w ** 2).sum().backward(); opt.step()
        print(w)
        """
    )
    assert "<required parameter>" in out


def test_random_variable_and_small_modules(tmp_path):
    _same(
        f"""
        import os
        import torch
        import torch.random
        from torch.random import fork_rng, manual_seed, get_rng_state, set_rng_state
        from torch.autograd.variable import Variable
        from torch.types import Number, _size, Device
        from torch.nn.common_types import _size_2_t, _size_any_t, _ratio_2_t, _size_2_opt_t
        from torch.utils.model_zoo import load_url
        import torch.utils.model_zoo
        from torch.nn.modules.fold import Unfold, Fold
        from torch.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle
        from torch.nn.parallel.data_parallel import DataParallel
        manual_seed(3)
        state = torch.random.get_rng_state()
        print(type(state).__name__, state.dtype, state.shape)
        a = torch.rand(2); set_rng_state(state); print(torch.equal(a, torch.rand(2)))
        with fork_rng():
            torch.rand(5)
        print(torch.rand(1))
        v = Variable(torch.ones(2), requires_grad=True)
        print(v, isinstance(torch.ones(1), Variable))
        print(Number, _size_2_t, _size_any_t, _ratio_2_t, _size_2_opt_t)
        print(isinstance(3.5, torch.types._Number), torch.types._int, torch.types._bool)
        print(Unfold is torch.nn.Unfold, PixelShuffle is torch.nn.PixelShuffle)
        print(DataParallel is torch.nn.DataParallel)
        path = os.path.join({str(tmp_path)!r}, "tiny.pth")
        torch.save({{"w": torch.arange(3.0)}}, path)
        print(load_url("https://example.com/weights/tiny.pth", model_dir={str(tmp_path)!r}))
        """
    )


def test_attention_kernel_choice():
    _same(
        """
        import torch
        import torch.nn.functional as F
        from torch.nn.attention import SDPBackend, sdpa_kernel
        members = ["ERROR", "MATH", "FLASH_ATTENTION", "EFFICIENT_ATTENTION", "CUDNN_ATTENTION"]
        print([(name, getattr(SDPBackend, name).value) for name in members])
        q = torch.arange(24.0).reshape(1, 2, 3, 4) / 10
        with sdpa_kernel(SDPBackend.MATH) as kernel:
            print(kernel)
            print(F.scaled_dot_product_attention(q, q.flip(-1), q, is_causal=True))
        with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH], set_priority=True):
            pass
        try:
            with sdpa_kernel("math"):
                pass
        except AssertionError as e:
            print("AssertionError", e)
        """
    )


def test_autograd_graph_names():
    _same(
        """
        import torch
        from torch.autograd.graph import Node, save_on_cpu, disable_saved_tensors_hooks
        from torch.autograd.function import FunctionCtx, once_differentiable
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with save_on_cpu(pin_memory=False):
            y = (x.exp() * x).sum()
        y.backward()
        print(x.grad, isinstance(y.grad_fn, Node))
        with disable_saved_tensors_hooks("no hooks here"):
            print((x * 2).sum())

        class Square(torch.autograd.Function):
            @staticmethod
            def forward(ctx: FunctionCtx, t):
                ctx.save_for_backward(t)
                print("ctx is a FunctionCtx:", isinstance(ctx, FunctionCtx))
                return t * t

            @staticmethod
            def backward(ctx, g):
                (t,) = ctx.saved_tensors
                return 2 * t * g

        print(issubclass(Square, FunctionCtx))
        Square.apply(x).sum().backward()
        print(x.grad)
        """
    )


def test_saved_tensors_hooks_pack_and_unpack():
    import gradiente
    from gradiente.autograd.graph import saved_tensors_hooks

    seen = []
    x = gradiente.ones(2, requires_grad=True)
    pack = lambda t: seen.append("pack") or t  # noqa: E731
    unpack = lambda t: seen.append("unpack") or t  # noqa: E731
    with saved_tensors_hooks(pack, unpack):
        y = x.sin()
    y.sum().backward()
    assert seen == ["pack", "unpack"]


def test_private_names():
    _same(
        """
        import torch, torch.nn as nn
        from torch.nn.modules.pooling import (
            _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd, _LPPoolNd, _MaxPoolNd, _MaxUnpoolNd)
        from torch.nn.parameter import Parameter, UninitializedParameter, UninitializedBuffer
        from torch.nn.utils import skip_init
        layers = [nn.AdaptiveAvgPool1d(2), nn.AdaptiveAvgPool2d(2), nn.AdaptiveAvgPool3d(2),
                  nn.AdaptiveMaxPool1d(2), nn.AdaptiveMaxPool2d(2, True),
                  nn.AdaptiveMaxPool3d(2), nn.MaxPool2d(2), nn.AvgPool1d(2), nn.LPPool2d(2, 2),
                  nn.MaxUnpool2d(2)]
        for layer in layers:
            print(type(layer).__name__, [isinstance(layer, c) for c in (
                _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd, _LPPoolNd, _MaxPoolNd,
                _MaxUnpoolNd)], layer)
        print(nn.AdaptiveMaxPool2d(3, return_indices=True).return_indices)
        print(UninitializedParameter is nn.UninitializedParameter,
              UninitializedBuffer is nn.UninitializedBuffer)
        print(isinstance(nn.LazyLinear(3).weight, UninitializedParameter))
        m = skip_init(nn.Linear, 5, 2)
        print(m, m.weight.shape, m.bias.shape, m.weight.device)
        for bad in [(int,), (nn.Identity,)]:
            try:
                skip_init(*bad)
            except RuntimeError as e:
                print("RuntimeError", e)
        """
    )


TOPLEVEL = """
import numpy as np
import torch
import torch.nn.functional as F
torch.set_printoptions(precision=4)
torch.manual_seed(0)
x = torch.randn(1, 2, 6, 6); w = torch.randn(3, 2, 3, 3); v = torch.linspace(-2, 2, 6)
print(torch.conv2d(x, w, padding=1).sum(), torch.conv1d(x[:, :, 0], w[:, :, 0]).shape)
print(torch.conv_transpose2d(x, w.transpose(0, 1)).shape)
print(torch.conv3d(x[:, :, None], w[:, :, None]).shape)
print(torch.dropout(v, 0.0, True), torch.dropout(v, 0.7, False))
print(torch.feature_dropout(x, 0.0, True).shape, torch.alpha_dropout(v, 0.5, False))
try:
    torch.dropout(v, 0.5)
except TypeError as e:
    print("TypeError")
weight = torch.arange(12.0).reshape(4, 3).requires_grad_()
e = torch.embedding(weight, torch.tensor([2, 0, 2]))
(e * torch.arange(9.0).reshape(3, 3)).sum().backward()
print(e, weight.grad)
print(torch.embedding(weight, torch.tensor([[1, 3]]), 1))
print(torch.layer_norm(v, (6,)), torch.layer_norm(x, (6, 6), None, None, 1e-3).sum().abs() < 1e-5)
print(torch.rms_norm(v, (6,)), torch.group_norm(x, 1, None, None, 1e-5).mean().abs() < 1e-6)
gamma, beta = torch.tensor([1.5, 0.5]), torch.tensor([0.1, -0.1])
rm, rv = torch.zeros(2), torch.ones(2)
print(torch.batch_norm(x, gamma, beta, rm, rv, True, 0.1, 1e-5, False).std(), rm, rv)
print(torch.batch_norm(x, None, None, rm, rv, False, 0.1, 1e-5, False).mean())
print(torch.instance_norm(x, gamma, beta, None, None, True, 0.1, 1e-5, False).mean((0, 2, 3)))
print(torch.max_pool2d(x, 2).sum(), torch.max_pool2d(x, 3, 2, 1).shape)
print(torch.max_pool2d(x, 2, []).shape)
print(torch.max_pool1d(x[0], 2), torch.avg_pool1d(x[0], 3, 2, 1))
print(torch.adaptive_avg_pool1d(x[0], 4), torch.adaptive_max_pool1d(x[0], 2))
print(torch.pixel_shuffle(torch.arange(16.0).reshape(1, 4, 2, 2), 2))
print(torch.pixel_unshuffle(torch.arange(16.0).reshape(1, 1, 4, 4), 2).shape)
print(torch.prelu(v, torch.tensor([0.1])), torch.selu(v), torch.celu(v, 0.5))
print(torch.rrelu(v), torch.threshold(v, 0.5, -1.0), torch.hardshrink(v, 1.0))
print(torch.bilinear(v[None], v[None], torch.ones(2, 6, 6), torch.tensor([0.5, -0.5])))
logp, p = v.log_softmax(0), torch.linspace(0.1, 0.6, 6)
print(torch.kl_div(logp, p), torch.kl_div(logp, p, 1), torch.kl_div(logp, p, 2))
print(torch.kl_div(logp, logp, 2, log_target=True))
print(torch.binary_cross_entropy_with_logits(v, p))
print(torch.binary_cross_entropy_with_logits(v, p, None, torch.tensor(2.0), 1))
print(torch.split_with_sizes(v, [2, 4]), torch.is_same_size(v, v), torch.is_same_size(v, x))
print(torch.is_signed(v), torch.is_signed(v.bool()), torch.is_inference(v), torch.get_device(v))
print(torch.conj(v) is v, torch.resolve_conj(v) is v, torch.resolve_neg(v) is v, torch.real(v) is v)
print(torch.is_conj(v), torch.is_neg(v), torch.adjoint(x).shape, torch.conj_physical(v))
print(torch.set_warn_always(True), torch.is_warn_always_enabled())
print(torch.get_deterministic_debug_mode())
torch.set_deterministic_debug_mode("warn")
print(torch.get_deterministic_debug_mode(), torch.are_deterministic_algorithms_enabled(),
      torch.is_deterministic_algorithms_warn_only_enabled())
torch.set_deterministic_debug_mode(2); print(torch.get_deterministic_debug_mode())
torch.use_deterministic_algorithms(False); print(torch.get_deterministic_debug_mode())
for bad in ["strict", 3]:
    try:
        torch.set_deterministic_debug_mode(bad)
    except RuntimeError as e:
        print("RuntimeError", e)
print(isinstance(torch.contiguous_format, torch.memory_format))
print(isinstance(torch.channels_last, torch.memory_format))
a = np.arange(3.0); t = torch.from_dlpack(a); a[0] = 7; print(t, torch.from_dlpack(v).shape)
"""


def test_toplevel_aten_forms():
    _same(TOPLEVEL)


def test_tensor_methods_and_pool_indices():
    _same(
        """
        import warnings
        import torch
        import torch.nn.functional as F
        torch.set_printoptions(precision=4)
        torch.manual_seed(1)
        m = torch.arange(24.0).reshape(2, 3, 4)
        print([t.shape for t in m.hsplit(3)], [t.shape for t in m.vsplit([1])], m.dsplit(2)[1])
        print(torch.ones(4).hsplit(2))
        print(m.split_with_sizes([1, 2], 1)[1].shape, m.adjoint().shape)
        for f in [lambda: m.split_with_sizes([1, 1]), lambda: torch.ones(3).adjoint(),
                  lambda: torch.ones(3).hsplit(2)]:
            try:
                f()
            except RuntimeError as e:
                print("RuntimeError", e)
        v = torch.linspace(-1, 1, 5, requires_grad=True)
        print(v.conj() is v, v.resolve_conj() is v, v.resolve_neg() is v, v.is_neg(), v.is_conj())
        h = v.hardshrink(0.4); h.sum().backward(); print(h, v.grad)
        print(v.output_nr, (v * 2).unbind()[3].output_nr, torch.ones(2, 2).max(0)[1].output_nr)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = torch.arange(4.0).resize_as(torch.ones(2, 2))
        print(r, [str(c.message) for c in caught])
        x = torch.randn(1, 2, 5, 5)
        inputs = {1: x.reshape(1, 2, 25), 2: x, 3: x[:, None]}
        for d in (1, 2, 3):
            values, indices = getattr(F, f"max_pool{d}d_with_indices")(inputs[d], 2)
            print(d, values.shape, indices.dtype, indices.flatten()[:6])
        for name in ["adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
                     "adaptive_max_pool3d_with_indices"]:
            d = int(name[16])
            inp = x[..., 0] if d == 1 else x if d == 2 else x[:, None]
            values, indices = getattr(F, name)(inp, 2)
            print(name, values.shape, indices.flatten()[:6])
        print(torch.linalg.solve_ex(torch.tensor([[2.0, 1.0], [1.0, 3.0]]), torch.ones(2)))
        singular_and_not = torch.tensor([[[2.0, 1.0], [0.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]]])
        print(torch.linalg.lu_factor_ex(singular_and_not))
        print(torch.nn.init.eye(torch.empty(2, 3)), torch.nn.init.dirac(torch.empty(2, 2, 3)).sum())
        """
    )


def test_set_flush_denormal_says_it_cannot():
    import gradiente

    # NumPy keeps denormal floats: gradiente answers as torch does where the CPU cannot flush
    assert gradiente.set_flush_denormal(True) is False
    assert gradiente.tensor([1e-40]).item() != 0.0


def test_module_set_submodule_and_to_empty():
    _same(
        """
        import torch, torch.nn as nn
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
        net.set_submodule("1.0", nn.Tanh())
        net.set_submodule("1.extra", nn.Identity())
        net.set_submodule("1.1", nn.Linear(3, 2), strict=True)
        print(net)
        for args in [("", nn.ReLU()), ("0", "not a module"), ("1.missing", nn.ReLU(), True),
                     ("0.weight", nn.ReLU()), ("2.0", nn.ReLU())]:
            try:
                net.set_submodule(*args)
            except (ValueError, AttributeError) as e:
                print(type(e).__name__, e)
        bn = nn.BatchNorm1d(3)
        model = nn.Sequential(nn.Linear(2, 3), bn)
        w = model[0].weight
        print(model.to_empty(device="cpu") is model, model[0].weight is w)
        print([(n, t.shape, t.dtype, t.device) for n, t in model.state_dict().items()])
        model[0].reset_parameters(); bn.reset_running_stats()
        print(bn.running_var, bn.num_batches_tracked)
        model.to_empty(device=torch.device("cpu"), recurse=False)
        """
    )


OPERATORS = """
import operator
import numpy as np
import torch
x = torch.tensor([3.5, -1.25, 0.5])
ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
       "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "<": operator.lt,
       "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
       "!=": operator.ne, "&": operator.and_, "|": operator.or_, "^": operator.xor,
       "@": operator.matmul}
for other in [[1, 2, 3], (1, 2, 3), "a", None, {}, np.float32(2), 2, 2.5, True]:
    for sym, op in ops.items():
        for left in (True, False):
            try:
                r = op(x, other) if left else op(other, x)
            except Exception as e:
                r = f"{type(e).__name__}: {e}"
            print(type(other).__name__, left, sym, r)
print(x.__eq__([1, 2, 3]), x.__add__("a"), x.__lt__(None))
print(x == x, x + np.ones(3), x @ x)
"""


def test_operators_refuse_what_torch_refuses():
    out = _same(OPERATORS)
    assert "list True + TypeError: unsupported operand type(s) for +: 'Tensor' and 'list'" in out
    assert "str True == False" in out


def test_file_is_what_python_sets(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "show.py").write_text(
        "import os, sys\nprint(__file__, os.path.dirname(__file__), sys.argv[0], __name__)\n"
    )
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    for typed in ["sub/show.py", "./sub/../sub/show.py", str(tmp_path / "sub" / "show.py")]:
        python = subprocess.run(
            [sys.executable, typed], cwd=tmp_path, capture_output=True, text=True, env=env
        )
        ours = subprocess.run(
            [sys.executable, "-m", "gradiente", "run", typed],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert python.returncode == ours.returncode == 0, ours.stderr
        assert ours.stdout == python.stdout
        assert ours.stdout.startswith(str(tmp_path))


def test_device_context_manager():
    _same(
        """
        import torch, torch.nn as nn
        with torch.device("cpu") as d:
            print(d, torch.ones(2).device, nn.Linear(2, 1).weight.device)
        print(torch.get_default_device())
        """
    )


def test_meta_device_block_raises_one_clear_error():
    import gradiente

    with pytest.raises(RuntimeError, match='gradiente has no "meta" device'):
        with gradiente.device("meta"):
            gradiente.nn.Linear(4, 3)


def test_numpy_scalars_of_every_kind_are_operands():
    """np.bool_ is not a numbers.Number, yet torch takes it (and every NumPy scalar) as a
    number operand: the result is a tensor, never a NumPy array."""
    import numpy as np

    import gradiente

    torch = pytest.importorskip("torch")
    for o in (np.bool_(True), np.float32(2), np.int64(3), np.float64(1.5), np.uint8(4)):
        for op in ("__add__", "__mul__", "__sub__", "__lt__", "__eq__", "__radd__"):
            ours = getattr(gradiente.ones(2), op)(o)
            theirs = getattr(torch.ones(2), op)(o)
            assert isinstance(ours, gradiente.Tensor), (o, op)
            assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype)
