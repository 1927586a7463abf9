import torch

torch.manual_seed(3)
x = torch.linspace(-2, 2, 9, requires_grad=True)
fns = {
    "sinc": torch.sinc,
    "erf": torch.erf,
    "erfc": torch.erfc,
    "erfinv": lambda t: torch.erfinv(t / 3),
    "lgamma": lambda t: torch.lgamma(t.abs() + 0.5),
    "digamma": lambda t: torch.digamma(t.abs() + 0.5),
    "expm1": torch.expm1,
    "log1p": lambda t: torch.log1p(t.abs()),
    "softplus": torch.nn.functional.softplus,
    "atan": torch.atan,
    "asinh": torch.asinh,
    "sigmoid": torch.sigmoid,
    "logit": lambda t: torch.logit(torch.sigmoid(t)),
    "hypot": lambda t: torch.hypot(t, t + 1),
    "atan2": lambda t: torch.atan2(t, t + 0.5),
    "xlogy": lambda t: torch.xlogy(t, t.abs() + 1),
    "frac": torch.frac,
    "trunc": torch.trunc,
    "logaddexp": lambda t: torch.logaddexp(t, -t),
    "copysign": lambda t: torch.copysign(t, -t),
    "float_power": lambda t: torch.float_power(t.abs(), 1.5),
    "rsqrt": lambda t: torch.rsqrt(t.abs() + 1),
    "deg2rad": torch.deg2rad,
    "square": torch.square,
    "nan_to_num": lambda t: torch.nan_to_num(t / 0.0),
    "special.ndtr": torch.special.ndtr,
    "special.entr": lambda t: torch.special.entr(t.abs()),
    "polygamma": lambda t: torch.polygamma(1, t.abs() + 1),
    "special.log_ndtr": torch.special.log_ndtr,
    "special.xlog1py": lambda t: torch.special.xlog1py(t, t.abs()),
}
for name, fn in fns.items():
    try:
        y = fn(x)
        (g,) = torch.autograd.grad(y.sum(), x)
        print(f"{name:16s}", y.detach(), g)
    except Exception as e:
        print(name, "ERR", type(e).__name__, e)
print(torch.trapezoid(x.detach() ** 2, x.detach()), torch.trapz(torch.tensor([1.0, 2, 3])))
print(
    torch.gcd(torch.tensor([12, 18]), torch.tensor([8, 27])),
    torch.lcm(torch.tensor([4]), torch.tensor([6])),
)
print(torch.vander(torch.tensor([1, 2, 3]), N=3))
print(
    torch.diag_embed(torch.tensor([[1, 2], [3, 4]])), torch.diagflat(torch.tensor([1, 2]), offset=1)
)
print(torch.atleast_2d(torch.tensor(1.0)), torch.atleast_3d(torch.ones(2)).shape)
print(torch.histogram(torch.tensor([1.0, 2, 1, 4]), bins=3, range=(0.0, 4.0)))
print(
    torch.histogram(
        torch.tensor([1.0, 2, 1, 4]),
        bins=torch.tensor([0.0, 1.5, 5.0]),
        weight=torch.tensor([1.0, 2, 3, 4]),
    )
)
print(torch.svd(torch.tensor([[3.0, 0], [0, 4]])))
print(torch.lu_unpack(*torch.linalg.lu_factor(torch.tensor([[1.0, 2], [3, 4]]))))
print(torch.linalg.lu(torch.tensor([[1.0, 2], [3, 4]])))
print(
    torch.linalg.lu_solve(
        *torch.linalg.lu_factor(torch.tensor([[1.0, 2], [3, 4]])), torch.tensor([[1.0], [2.0]])
    )
)
print(torch.renorm(torch.tensor([[1.0, 2, 2], [3, 4, 0]]), 2, 0, 2.0))
print(torch.pdist(torch.tensor([[0.0, 0], [3, 4], [6, 8]])))
print(torch.rsub(torch.tensor([1, 2]), 5), torch.scalar_tensor(3))
