# ruff: noqa  (written as the hunt found it)
import warnings, torch, torch.nn as nn, torch.nn.functional as F

warnings.simplefilter("always")
import sys


def show(f):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = f()
            print("ok", getattr(r, "shape", r))
        except Exception as e:
            print(type(e).__name__, e)
        for x in w:
            print("  W", x.category.__name__, str(x.message)[:150])


torch.manual_seed(0)
for name in [
    "uniform",
    "normal",
    "constant",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "orthogonal",
    "sparse",
]:
    t = torch.empty(4, 4)
    args = (t, 0.5) if name == "constant" else (t, 0.5) if name == "sparse" else (t,)
    show(lambda: getattr(nn.init, name)(*args))
    print(t.sum())
x = torch.arange(4.0).reshape(1, 1, 2, 2)
show(lambda: F.upsample_nearest(x, scale_factor=2))
show(lambda: F.upsample_bilinear(x, scale_factor=2))
show(lambda: F.upsample(x, scale_factor=2))
show(lambda: F.upsample(x, scale_factor=2, mode="bilinear"))
print(F.upsample_bilinear(x, scale_factor=2))
p = [torch.ones(3, requires_grad=True)]
p[0].grad = torch.ones(3) * 5
show(lambda: nn.utils.clip_grad_norm(p, 1.0))
print(p[0].grad)
show(lambda: nn.utils.clip_grad_value_(p, 0.1))
show(lambda: nn.NLLLoss2d())
show(lambda: F.sigmoid(x))
show(lambda: F.tanh(x))
