# ruff: noqa  (written as the hunt found it)
import torch, re


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x > 0)


x = torch.tensor([1.0, -1.0], requires_grad=True)
y = MyReLU.apply(x)
print(re.sub("0x[0-9a-f]+", "ADDR", repr(y.grad_fn)), type(y.grad_fn).__name__, y.grad_fn.name())
print(re.sub("0x[0-9a-f]+", "ADDR", repr((x * 2).grad_fn)))
print(y)
