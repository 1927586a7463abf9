# ruff: noqa  (written as the hunt found it)
import torch, torch.nn.functional as F


def show(f):
    try:
        r = f()
        print(
            tuple(r.shape) if hasattr(r, "shape") else [tuple(t.shape) for t in r],
            r.dtype if hasattr(r, "dtype") else "",
        )
    except Exception as e:
        print(type(e).__name__, e)


x = torch.arange(8.0).reshape(4, 2, 1).requires_grad_()
show(lambda: torch.diff(x, n=2, dim=2))
show(lambda: torch.diff(x, n=3, dim=1))
show(lambda: torch.diff(torch.ones(3), n=5))
show(lambda: torch.masked_select(torch.ones(3), torch.ones(0, 3, 1, dtype=torch.bool)))
show(lambda: torch.masked_select(torch.ones(3), torch.ones(2, 1, 3, dtype=torch.bool)))
show(lambda: torch.topk(torch.ones(2, 0, 4), 1, dim=-1))
show(lambda: torch.topk(torch.ones(2, 0, 4), 1, dim=1))
show(lambda: torch.sort(torch.ones(2, 0, 4), dim=-1))
show(lambda: torch.kthvalue(torch.ones(2, 0, 4), 1, dim=-1))
y = torch.ones(1, 1, 2, 3, requires_grad=True)
show(lambda: F.pixel_unshuffle(y, 1).exp_())
show(lambda: F.pixel_shuffle(y, 1).exp_())
show(lambda: F.pad(torch.ones(1, 2, 1), (-1, -1), value=1.5))
show(lambda: F.pad(torch.ones(1, 2, 3), (-2, 0)))
show(lambda: torch.take_along_dim(torch.ones(1, 3), torch.tensor([[0], [1]]), dim=1))
show(lambda: torch.take_along_dim(torch.ones(2, 3), torch.tensor([[1]]), dim=0))
