"""Autograd behaviours checked against torch: grad-mode decorators on generators, which
factors a product saves (in-place changes torch allows or refuses), anomaly detection, the
checks torch makes on custom Functions, and ``copy.deepcopy`` of parameters."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import copy
import warnings

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")

LIBS = [gradiente, torch]


# --- grad-mode decorators on generator functions ------------------------------------------


def _generator_trace(lib, decorator, outer_grad: bool):
    """What a decorated generator sees inside its body, and the caller between steps."""

    @decorator(lib)
    def steps(x):
        yield (x * 2).requires_grad, lib.is_grad_enabled()
        received = yield lib.is_inference_mode_enabled()
        yield received, (x * 3).requires_grad

    x = lib.ones(2, requires_grad=True)
    trace = []
    with lib.set_grad_enabled(outer_grad):
        generator = steps(x)
        trace.append(next(generator))
        trace.append(((x * 2).requires_grad, lib.is_grad_enabled()))  # the caller's mode
        trace.append(next(generator))
        trace.append(generator.send("sent"))
        trace.append(list(generator))
    return trace


DECORATORS = {
    "no_grad": lambda lib: lib.no_grad(),
    "no_grad_bare": lambda lib: lib.no_grad,
    "enable_grad": lambda lib: lib.enable_grad(),
    "inference_mode": lambda lib: lib.inference_mode(),
    "inference_mode_off": lambda lib: lib.inference_mode(False),
    "set_grad_enabled_false": lambda lib: lib.set_grad_enabled(False),
    "set_grad_enabled_true": lambda lib: lib.set_grad_enabled(True),
}


@pytest.mark.parametrize("outer_grad", [True, False])
@pytest.mark.parametrize("decorator", sorted(DECORATORS))
def test_grad_mode_decorators_apply_inside_generators(decorator, outer_grad):
    ours = _generator_trace(gradiente, DECORATORS[decorator], outer_grad)
    theirs = _generator_trace(torch, DECORATORS[decorator], outer_grad)
    assert ours == theirs


def test_grad_mode_generator_close_and_throw_run_in_the_mode():
    seen = {}
    for lib in LIBS:

        @lib.no_grad()
        def steps(lib=lib):
            try:
                yield 1
            except ValueError:
                yield ("caught", lib.is_grad_enabled())
            finally:
                seen[lib.__name__] = lib.is_grad_enabled()

        generator = steps()
        next(generator)
        assert generator.throw(ValueError("x")) == ("caught", False)
        generator.close()
        assert lib.is_grad_enabled()
    assert seen == {"gradiente": False, "torch": False}


# --- products save a factor only for the other's gradient ---------------------------------


def _linear_weight_clamped(lib, input_requires_grad: bool):
    lib.manual_seed(0)
    layer = lib.nn.Linear(3, 2)
    x = lib.ones(4, 3, requires_grad=input_requires_grad)
    out = layer(x)
    with lib.no_grad():
        layer.weight.clamp_(-0.1, 0.1)
    out.sum().backward()
    return layer.weight.grad.tolist()


def _product_case(lib, op, a_shape, b_shape, needs, modified):
    """op(a, b) with a/b requiring grad as ``needs``; ``modified`` is changed in place after
    the forward; the gradients, or the error type."""
    a = lib.ones(*a_shape, requires_grad=needs[0])
    b = lib.full(b_shape, 2.0, requires_grad=needs[1])
    out = op(lib, a, b)
    with lib.no_grad():
        (a if modified == 0 else b).mul_(3)
    try:
        out.sum().backward()
    except RuntimeError as error:
        assert "modified by an inplace operation" in str(error)
        return "refused"
    return [t.grad.tolist() if t.grad is not None else None for t in (a, b)]


PRODUCTS = {
    "mm": (lambda lib, a, b: lib.mm(a, b), (2, 3), (3, 4)),
    "matmul_batched": (lambda lib, a, b: lib.matmul(a, b), (5, 2, 3), (3, 4)),
    "matmul_vector": (lambda lib, a, b: a @ b, (3,), (3, 4)),
    "dot": (lambda lib, a, b: a @ b, (3,), (3,)),
    "bmm": (lambda lib, a, b: lib.bmm(a, b), (2, 2, 3), (2, 3, 4)),
    "einsum": (lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), (2, 3), (3, 4)),
    "linear": (lambda lib, a, b: lib.nn.functional.linear(a, b), (2, 3), (4, 3)),
    "linear_3d": (lambda lib, a, b: lib.nn.functional.linear(a, b), (5, 2, 3), (4, 3)),
}


@pytest.mark.parametrize("modified", [0, 1])
@pytest.mark.parametrize("needs", [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_products_refuse_in_place_changes_exactly_where_torch_does(product, needs, modified):
    op, a_shape, b_shape = PRODUCTS[product]
    ours = _product_case(gradiente, op, a_shape, b_shape, needs, modified)
    theirs = _product_case(torch, op, a_shape, b_shape, needs, modified)
    assert ours == theirs


@pytest.mark.parametrize("input_requires_grad", [False, True])
def test_linear_weight_changed_after_forward(input_requires_grad):
    if input_requires_grad:  # the weight is saved for dL/dx: both refuse
        for lib in LIBS:
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                _linear_weight_clamped(lib, True)
    else:
        ours = _linear_weight_clamped(gradiente, False)
        assert ours == _linear_weight_clamped(torch, False) == [[4.0] * 3] * 2


def test_optimizer_step_between_two_backwards_of_one_graph():
    """retain_graph, then an optimizer step, then backward again: valid for a one-layer
    model on inputs that need no gradient (torch saves no weight)."""
    results = []
    for lib in LIBS:
        lib.manual_seed(0)
        layer = lib.nn.Linear(3, 1)
        optimizer = lib.optim.SGD(layer.parameters(), lr=0.1)
        loss = layer(lib.ones(2, 3)).sum()
        loss.backward(retain_graph=True)
        optimizer.step()
        loss.backward()
        results.append([layer.weight.grad.tolist(), layer.weight.tolist()])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


@pytest.mark.parametrize("product", ["linear", "mm", "einsum", "matmul_batched"])
def test_products_gradcheck_with_one_factor_constant(product):
    op, a_shape, b_shape = PRODUCTS[product]
    rng = np.random.default_rng(1)
    for needs in [(True, False), (False, True)]:
        a = gradiente.tensor(rng.standard_normal(a_shape), requires_grad=needs[0])
        b = gradiente.tensor(rng.standard_normal(b_shape), requires_grad=needs[1])
        assert gradiente.autograd.gradcheck(lambda a, b: op(gradiente, a, b), (a, b))
        assert gradiente.autograd.gradgradcheck(lambda a, b: op(gradiente, a, b), (a, b))


# --- anomaly detection --------------------------------------------------------------------


def _anomaly_error(lib, make_loss, **kwargs):
    """backward of ``make_loss`` under detect_anomaly: the error message and warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly(**kwargs):
            x = lib.tensor([-1.0, 4.0], requires_grad=True)
            loss = make_loss(lib, x)
            try:
                loss.backward()
            except RuntimeError as error:
                message = str(error)
            else:
                message = x.grad.tolist()
    return message, [str(w.message).split("\n")[0] for w in caught]


LOSSES = {
    "sqrt": lambda lib, x: x.sqrt().sum(),
    "mul_by_nan": lambda lib, x: (x * lib.tensor([float("nan"), 1.0])).sum(),
    "nan_input_ok": lambda lib, x: (x * 2).sum(),
    "div_zero": lambda lib, x: (x / 0 * 0).sum(),
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_detect_anomaly_raises_torchs_error_on_nan_gradients(loss):
    ours = _anomaly_error(gradiente, LOSSES[loss])
    theirs = _anomaly_error(torch, LOSSES[loss])
    assert ours == theirs


def test_detect_anomaly_shows_where_the_op_was_called():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with gradiente.autograd.detect_anomaly():
            x = gradiente.tensor([-1.0], requires_grad=True)
            y = x.sqrt()  # the line the warning must show
            with pytest.raises(RuntimeError, match="'SqrtBackward0' returned nan values"):
                y.backward()
    text = str(caught[-1].message)
    assert text.startswith("Error detected in SqrtBackward0. Traceback of forward call")
    assert "y = x.sqrt()  # the line the warning must show" in text
    assert "gradiente/" not in text  # gradiente's own frames left out


def test_anomaly_switches_and_check_nan_as_torch():
    for lib in LIBS:
        assert lib.is_anomaly_enabled() is False and lib.is_anomaly_check_nan_enabled()
        with lib.autograd.detect_anomaly(check_nan=False):
            assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
            x = lib.tensor([-1.0], requires_grad=True)
            x.sqrt().backward()  # no check: the NaN gradient is kept
            assert np.isnan(x.grad.item())
        assert lib.is_anomaly_enabled() is False and lib.is_anomaly_check_nan_enabled()
        lib.autograd.set_detect_anomaly(True)
        try:
            assert lib.is_anomaly_enabled()
            with pytest.raises(RuntimeError, match="returned nan values in its 0th output"):
                lib.tensor([-1.0], requires_grad=True).sqrt().backward()
        finally:
            lib.autograd.set_detect_anomaly(False)
        assert lib.is_anomaly_enabled() is False
        with lib.autograd.set_detect_anomaly(True):
            assert lib.is_anomaly_enabled()
        assert lib.is_anomaly_enabled() is False


def test_detect_anomaly_as_a_decorator_turns_on_only_inside():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @gradiente.autograd.detect_anomaly()
        def inside():
            return gradiente.is_anomaly_enabled()

    assert gradiente.is_anomaly_enabled() is False
    assert inside() is True
    assert gradiente.is_anomaly_enabled() is False


# --- copy.deepcopy ------------------------------------------------------------------------


def _deepcopies(lib):
    parameter = lib.nn.Parameter(lib.ones(2))
    parameter.grad = lib.full((2,), 3.0)
    frozen = lib.nn.Parameter(lib.ones(2), requires_grad=False)
    tensor = lib.ones(2, requires_grad=True)
    tensor.grad = lib.full((2,), 5.0)
    model = lib.nn.Linear(2, 1)
    model.weight.grad = lib.ones(1, 2)
    shared = copy.deepcopy([parameter, parameter])
    copies = copy.deepcopy([parameter, frozen, tensor, model])
    with lib.no_grad():
        copies[0].add_(1)  # the copy has its own memory
    return [
        type(copies[0]).__name__,
        copies[0].grad,
        parameter.tolist(),
        copies[1].requires_grad,
        copies[2].grad.tolist(),  # a plain tensor's deepcopy keeps its gradient
        copies[3].weight.grad,
        type(copies[3].weight).__name__,
        shared[0] is shared[1],
    ]


def test_deepcopy_of_parameters_drops_grad_as_torch():
    assert _deepcopies(gradiente) == _deepcopies(torch)


# --- GradScaler without CUDA --------------------------------------------------------------


def _scaler_state(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler = make()
    x = gradiente.ones(2) if isinstance(scaler, GradScaler) else torch.ones(2)
    return [
        scaler.is_enabled(),
        scaler.get_scale(),
        scaler.scale(x) is x,
        scaler.state_dict(),
        [(w.category.__name__, str(w.message)) for w in caught],
    ]


from gradiente.compat import SYNTHETIC, GradScaler  # noqa: E402

SCALERS = {
    "default": (lambda: GradScaler(), lambda: torch.amp.GradScaler()),
    "cuda": (lambda: GradScaler("cuda"), lambda: torch.amp.GradScaler("cuda")),
    "cpu": (lambda: GradScaler("cpu"), lambda: torch.amp.GradScaler("cpu")),
    "disabled": (lambda: GradScaler(enabled=False), lambda: torch.amp.GradScaler(enabled=False)),
    "cuda_amp": (
        lambda: SYNTHETIC["torch.cuda.amp"]["GradScaler"](),
        lambda: torch.cuda.amp.GradScaler(),
    ),
    "cpu_amp": (
        lambda: SYNTHETIC["torch.cpu.amp"]["GradScaler"](init_scale=8.0),
        lambda: torch.cpu.amp.GradScaler(init_scale=8.0),
    ),
}


@pytest.mark.parametrize("scaler", sorted(SCALERS))
def test_grad_scaler_without_cuda_disables_itself_as_torch(scaler):
    if torch.cuda.is_available() or gradiente.cuda.is_available():
        pytest.skip("compares the behaviour without a CUDA device")
    ours, theirs = SCALERS[scaler]
    assert _scaler_state(ours) == _scaler_state(theirs)


# --- custom autograd.Function checks ------------------------------------------------------


def _outcome(call):
    """``call()``'s result, or its error's type and message."""
    try:
        return call()
    except (RuntimeError, TypeError) as error:
        return type(error).__name__, str(error)


def _needs_input_grad_seen(lib, grad_mode: bool):
    seen = []

    class Needs(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen.append(("forward", ctx.needs_input_grad))
            return a * b * k

        @staticmethod
        def backward(ctx, grad):
            seen.append(("backward", ctx.needs_input_grad))
            return grad, grad, None

    class Setup(lib.autograd.Function):
        @staticmethod
        def forward(a, b):
            return a * b

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen.append(("setup_context", ctx.needs_input_grad))

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    a, b = lib.ones(3, requires_grad=True), lib.ones(3)
    with lib.set_grad_enabled(grad_mode):
        outputs = [Needs.apply(a, b, 2.0), Setup.apply(b, a)]
    if grad_mode:
        sum(o.sum() for o in outputs).backward()
    return seen


@pytest.mark.parametrize("grad_mode", [True, False])
def test_needs_input_grad_in_forward_and_setup_context(grad_mode):
    assert _needs_input_grad_seen(gradiente, grad_mode) == _needs_input_grad_seen(torch, grad_mode)


BACKWARD_RESULTS = {
    "one_for_two": lambda g: g,
    "tuple_of_one": lambda g: (g,),
    "extra_none": lambda g: (g, g, None),
    "too_many": lambda g: (g, g, g),
    "too_short": lambda g: (g[:2], g),
    "broadcast": lambda g: (g.expand(4, 3), g),
    "broadcast_second": lambda g: (g, g.new_ones(2, 3)),
    "scalar": lambda g: (g, g.new_ones(())),
    "wrong_rank_tail": lambda g: (g, g.new_ones(3, 2)),
}


def _custom_backward_result(lib, result, second_requires_grad=True):
    class XFn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return result(grad)

    a = lib.ones(3, requires_grad=True)
    b = lib.ones(3, requires_grad=second_requires_grad)

    def run():
        XFn.apply(a, b).sum().backward()
        return [t.grad.tolist() if t.grad is not None else None for t in (a, b)]

    return _outcome(run)


@pytest.mark.parametrize("result", sorted(BACKWARD_RESULTS))
def test_custom_function_gradients_checked_as_torch(result):
    ours = _custom_backward_result(gradiente, BACKWARD_RESULTS[result])
    assert ours == _custom_backward_result(torch, BACKWARD_RESULTS[result])


def test_custom_function_gradient_for_an_input_that_needs_none_is_dropped():
    both = [_custom_backward_result(lib, lambda g: (g, g), False) for lib in LIBS]
    assert both[0] == both[1] == [[1.0] * 3, None]


def _gradient_for_a_number(lib, value):
    class NT(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * k

        @staticmethod
        def backward(ctx, grad):
            return grad, value(grad)

    return _outcome(lambda: NT.apply(lib.ones(3, requires_grad=True), 2).sum().backward())


@pytest.mark.parametrize("value", [lambda g: g, lambda g: 1.0, lambda g: None])
def test_custom_function_gradient_for_a_non_tensor_input(value):
    assert _gradient_for_a_number(gradiente, value) == _gradient_for_a_number(torch, value)


def _save_for_backward(lib, extra):
    class Save(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a, extra)
            return a * 1

        @staticmethod
        def backward(ctx, grad):
            a, saved = ctx.saved_tensors
            return grad * (saved is None)

    def run():
        x = lib.ones(2, requires_grad=True)
        Save.apply(x).sum().backward()
        return x.grad.tolist()

    return _outcome(run)


@pytest.mark.parametrize("extra", [3, "text", None])
def test_save_for_backward_takes_tensors_and_none_only(extra):
    assert _save_for_backward(gradiente, extra) == _save_for_backward(torch, extra)


def _mark_dirty(lib, case: str):
    class AddOne(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 3

    def run():
        if case == "leaf":
            return AddOne.apply(lib.ones(3, requires_grad=True))
        x = lib.ones(3, requires_grad=case == "graph")
        y = x * 2
        z = AddOne.apply(y)
        facts = [z is y, y.tolist(), y.requires_grad]
        if case == "graph":
            z.sum().backward()
            facts += [y.grad_fn.name(), x.grad.tolist()]
        return facts

    return _outcome(run)


@pytest.mark.parametrize("case", ["graph", "no_graph", "leaf"])
def test_mark_dirty_returns_the_input_itself(case):
    assert _mark_dirty(gradiente, case) == _mark_dirty(torch, case)


def _non_tensor_outputs(lib):
    got = []

    class Mixed(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 5, None

        @staticmethod
        def backward(ctx, grad, grad_number, grad_none):
            got.append((grad_number, grad_none))
            return grad * 2

    class Number(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 7

        @staticmethod
        def backward(ctx, grad):
            return None

    x = lib.ones(3, requires_grad=True)
    y, number, nothing = Mixed.apply(x)
    y.sum().backward()
    return [type(number).__name__, number, nothing, x.grad.tolist(), got, Number.apply(x)]


def test_custom_function_may_return_non_tensors():
    assert _non_tensor_outputs(gradiente) == _non_tensor_outputs(torch)
