# ruff: noqa  (written as the hunt found it)
import torch
from torch.func import vmap, grad

for f in [
    lambda: vmap(torch.dot)(torch.randn(3, 4), torch.randn(2, 4)),
    lambda: grad(lambda x: x * 2)(torch.ones(3)),
    lambda: vmap(torch.add)(torch.randn(3, 4), torch.randn(3, 4)).shape,
]:
    try:
        print(f())
    except Exception as e:
        print(type(e).__name__, e)
