# ruff: noqa  (written as the hunt found it)
import torch, torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(3, 5)
cases = [
    lambda: F.cross_entropy(x, torch.tensor([1, 2, 3], dtype=torch.int32)),
    lambda: F.nll_loss(x, torch.tensor([1, 2, 3], dtype=torch.int32)),
    lambda: F.cross_entropy(x, torch.tensor([1, 2, 3], dtype=torch.uint8)),
    lambda: F.mse_loss(torch.randn(3), torch.tensor([1, 2, 3])),
    lambda: F.l1_loss(torch.randn(3), torch.tensor([1, 2, 3])),
    lambda: F.smooth_l1_loss(torch.randn(3), torch.tensor([1, 2, 3])),
    lambda: F.huber_loss(torch.randn(3), torch.tensor([1, 2, 3])),
    lambda: F.mse_loss(torch.randn(3, dtype=torch.float64), torch.tensor([1.0, 2, 3])),
    lambda: F.binary_cross_entropy(torch.rand(3), torch.tensor([1, 0, 1])),
    lambda: F.binary_cross_entropy_with_logits(torch.rand(3), torch.tensor([1, 0, 1])),
    lambda: F.mse_loss(torch.tensor([1, 2]), torch.tensor([1, 3])),
    lambda: F.l1_loss(torch.tensor([1, 2]), torch.tensor([1.0, 3])),
    lambda: F.kl_div(torch.randn(3), torch.tensor([1, 2, 3]), reduction="sum"),
    lambda: torch.ones(2).to("cuda"),
    lambda: torch.ones(2).cuda(),
    lambda: torch.zeros(2, device="cuda"),
]
for c in cases:
    try:
        r = c()
        print(r.dtype, r)
    except Exception as e:
        print(type(e).__name__, e)
