"""Hunt 4's random findings against torch's CPU generator: 16-bit float samples, poisson,
geometric_/cauchy_/log_normal_, fork_rng and Generator.get_state() as a tensor — same seed,
same bits."""

import numpy as np
import pytest

import gradiente as g

torch = pytest.importorskip("torch")


def bits(t) -> np.ndarray:
    """A tensor's values as raw bits (16-bit floats via float32, which holds them exactly)."""
    if str(t.dtype).endswith("bfloat16"):
        t = t.float()
    return t.detach().numpy().view(np.uint8)


def same_draw(make, seed=3) -> None:
    """``make(lib)`` after seeding each library alike gives the same dtype, shape and bits."""
    torch.manual_seed(seed)
    theirs = make(torch)
    g.manual_seed(seed)
    ours = make(g)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(bits(ours), bits(theirs))
    # and the generators end in the same place
    np.testing.assert_array_equal(g.get_rng_state().numpy(), torch.get_rng_state().numpy())


SIZES = [1, 3, 15, 16, 17, 40, 1000, 4099]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("n", SIZES)
def test_randn_rand_16_bit(dtype, n):
    same_draw(lambda m: m.randn(n, dtype=getattr(m, dtype)))
    same_draw(lambda m: m.rand(n, dtype=getattr(m, dtype)))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("n", [5, 16, 37, 2000])
def test_normal_uniform_fills_16_bit(dtype, n):
    same_draw(lambda m: m.empty(n, dtype=getattr(m, dtype)).normal_(2.0, 3.0))
    same_draw(lambda m: m.empty(n, dtype=getattr(m, dtype)).uniform_(-2.0, 3.0))
    same_draw(lambda m: m.randn(4, n, dtype=getattr(m, dtype)))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_exponential_16_bit(dtype):
    same_draw(lambda m: m.empty(100, dtype=getattr(m, dtype)).exponential_(1.5))


def test_finding_repro_randn_float16():
    torch.manual_seed(3)
    g.manual_seed(3)
    ours, theirs = g.randn(3, dtype=g.float16), torch.randn(3, dtype=torch.float16)
    assert ours.dtype == g.float16
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_poisson():
    same_draw(lambda m: m.poisson(m.tensor([1.0, 5.0, 0.0, 12.5, 100.0])))
    same_draw(lambda m: m.poisson(m.rand(300) * 30))  # both samplers: λ < 10 and λ ≥ 10
    same_draw(lambda m: m.poisson(m.rand(4, 5, dtype=m.float64) * 20))
    gen_t, gen_g = torch.Generator().manual_seed(9), g.Generator().manual_seed(9)
    rates = np.linspace(0.5, 40, 50)
    np.testing.assert_array_equal(
        g.poisson(g.tensor(rates), generator=gen_g).numpy(),
        torch.poisson(torch.tensor(rates), generator=gen_t).numpy(),
    )


def test_poisson_errors():
    for bad in ([-1.0], [float("nan")]):
        with pytest.raises(RuntimeError, match="invalid Poisson rate") as ours:
            g.poisson(g.tensor(bad))
        with pytest.raises(RuntimeError) as theirs:
            torch.poisson(torch.tensor(bad))
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(NotImplementedError, match="\"poisson_cpu\" not implemented for 'Long'"):
        g.poisson(g.tensor([1, 2]))
    with pytest.raises(NotImplementedError):
        torch.poisson(torch.tensor([1, 2]))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32"])
def test_geometric_(dtype):
    same_draw(lambda m: m.empty(50, dtype=getattr(m, dtype)).geometric_(0.3))
    same_draw(lambda m: m.empty(3, 7, dtype=getattr(m, dtype)).geometric_(0.9))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_cauchy_and_log_normal_(dtype):
    same_draw(lambda m: m.empty(50, dtype=getattr(m, dtype)).cauchy_())
    same_draw(lambda m: m.empty(50, dtype=getattr(m, dtype)).cauchy_(1.5, 2.0))
    same_draw(lambda m: m.empty(50, dtype=getattr(m, dtype)).log_normal_())
    same_draw(lambda m: m.empty(7, dtype=getattr(m, dtype)).log_normal_(0.2, 0.5))
    # log_normal_ draws scalar normals, so an odd count leaves a cached partner: next draw
    same_draw(lambda m: (m.empty(3).log_normal_(), m.randn(2))[1])


def test_fills_with_a_generator():
    gen_t, gen_g = torch.Generator().manual_seed(5), g.Generator().manual_seed(5)
    for fill in (
        lambda t, gen: t.geometric_(0.25, generator=gen),
        lambda t, gen: t.cauchy_(generator=gen),
        lambda t, gen: t.log_normal_(generator=gen),
    ):
        ours, theirs = fill(g.empty(20), gen_g), fill(torch.empty(20), gen_t)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_fills_are_in_place_and_check_arguments():
    t = g.empty(4)
    assert t.geometric_(0.5) is t and t.cauchy_() is t and t.log_normal_() is t
    cases = [
        (lambda m: m.empty(2).geometric_(1.5), "geometric_ expects p to be in (0, 1)"),
        (lambda m: m.empty(2).cauchy_(0, -1), "cauchy_ expects sigma > 0.0"),
        (lambda m: m.empty(2).log_normal_(0, -1), "log_normal_ expects std > 0.0"),
    ]
    for call, message in cases:
        with pytest.raises(RuntimeError, match=message.replace("(", r"\(").replace(")", r"\)")):
            call(g)
        with pytest.raises(RuntimeError, match=message.replace("(", r"\(").replace(")", r"\)")):
            call(torch)


def test_fork_rng():
    g.manual_seed(0)
    torch.manual_seed(0)
    g.randn(1)  # an odd scalar draw: a cached normal that the fork must restore too
    torch.randn(1)
    with g.random.fork_rng():
        g.randn(7)
    with torch.random.fork_rng():
        torch.randn(7)
    np.testing.assert_array_equal(g.randn(5).numpy(), torch.randn(5).numpy())
    with g.random.fork_rng(enabled=False):
        g.rand(3)
    with torch.random.fork_rng(enabled=False):
        torch.rand(3)
    np.testing.assert_array_equal(g.rand(5).numpy(), torch.rand(5).numpy())


def test_generator_get_state_is_a_uint8_tensor():
    gen_g, gen_t = g.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    ours, theirs = gen_g.get_state(), gen_t.get_state()
    assert isinstance(ours, g.Tensor)
    assert ours.dtype == g.uint8 and tuple(ours.shape) == tuple(theirs.shape) == (5056,)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    first_g, first_t = g.randn(5, generator=gen_g), torch.randn(5, generator=gen_t)
    gen_g.set_state(ours)
    gen_t.set_state(theirs)
    np.testing.assert_array_equal(g.randn(5, generator=gen_g).numpy(), first_g.numpy())
    np.testing.assert_array_equal(torch.randn(5, generator=gen_t).numpy(), first_t.numpy())
    # torch's own state bytes are accepted too
    gen_g.set_state(gen_t.get_state().numpy())
    np.testing.assert_array_equal(
        g.rand(4, generator=gen_g).numpy(), torch.rand(4, generator=gen_t).numpy()
    )
