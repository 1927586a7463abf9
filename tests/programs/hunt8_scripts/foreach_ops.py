"""Every torch._foreach_* op gradiente has, against torch: values, returns, gradients, errors."""

import torch

UNARY = (
    "abs acos asin atan ceil cos cosh erf erfc exp expm1 floor frac lgamma log log10 log1p "
    "log2 neg reciprocal round rsqrt sigmoid sign sin sinh sqrt tan tanh trunc"
).split()
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "clamp_min", "clamp_max", "pow"]


def fresh():
    return [torch.tensor([0.3, 0.7]), torch.tensor([[0.2, 0.9, 0.5]])]


def show(ts):
    return [[round(v, 5) for v in t.flatten().tolist()] for t in ts]


for name in UNARY:
    for suffix in ("", "_"):
        ts = fresh()
        r = getattr(torch, f"_foreach_{name}{suffix}")(ts)
        print(name + suffix, type(r).__name__, show(ts if suffix else r), r is ts)
others = [0.5, [2.0, 3.0], [torch.tensor([1.5, 2.0]), torch.tensor([[0.5, 1.0, 2.0]])]]
for base in BINARY:
    for other in others + [torch.tensor(2.0)]:
        for suffix in ("", "_"):
            ts = fresh()
            try:
                r = getattr(torch, f"_foreach_{base}{suffix}")(ts, other)
                print(base + suffix, type(other).__name__, show(ts if suffix else r), r is ts)
            except Exception as e:
                print(base + suffix, type(other).__name__, type(e).__name__)
ts = fresh()
print(torch._foreach_add(ts, ts, alpha=2), torch._foreach_sub_(fresh(), fresh(), alpha=0.5))
print(torch._foreach_pow(2.0, ts))
for v in (1, 0.5, [1.0, 2.0], torch.tensor([0.5, 3.0])):
    print(torch._foreach_addcmul(ts, ts, ts, v), torch._foreach_addcdiv(ts, ts, fresh(), v))
    t2 = fresh()
    torch._foreach_addcdiv_(t2, ts, ts, v)
    print(t2)
ends = [torch.ones(2), torch.ones(1, 3)]
for w in (0.25, [0.1, 0.9], fresh()):
    t2 = fresh()
    print(torch._foreach_lerp(t2, ends, w), torch._foreach_lerp_(t2, ends, w) is t2, t2)
print(torch._foreach_norm(ts), torch._foreach_norm(ts, 1), torch._foreach_norm(ts, float("inf")))
print(torch._foreach_max(ts), torch._foreach_clone(ts))
t2 = fresh()
print(torch._foreach_zero_(t2) is t2, t2, torch._foreach_copy_(t2, fresh()) is t2, t2)
x = [torch.tensor([0.3, 0.7], requires_grad=True), torch.tensor([2.0], requires_grad=True)]
out = torch._foreach_mul(torch._foreach_exp(x), [torch.tensor([1.0, 2.0]), torch.tensor([3.0])])
out = torch._foreach_lerp(out, torch._foreach_sqrt(x), 0.3)
sum(o.sum() for o in torch._foreach_addcmul(out, x, x, 0.5)).backward()
print([t.grad for t in x])
for bad in (([], 1), ([torch.ones(1)], [1.0, 2.0]), ([torch.ones(1)], [torch.ones(1)] * 2)):
    try:
        torch._foreach_add(*bad)
    except RuntimeError as e:
        print(e)
