# ruff: noqa  (written as the hunt found it)
import torch
from torchvision import transforms as T
from torchvision.transforms import v2

torch.manual_seed(0)
img = torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8)
for cls in (
    T.RandomEqualize,
    T.RandomAutocontrast,
    T.RandomInvert,
    v2.RandomEqualize,
    v2.RandomAutocontrast,
    v2.RandomInvert,
):
    try:
        print(cls.__name__, cls(1.0)(img).sum().item(), cls(1.0))
    except Exception as e:
        print(type(e).__name__, e)
x = torch.randn(3, 2, requires_grad=True)
y = torch.randn(4, 2)
d = torch.cdist(x, y, p=0)
d.sum().backward()
print(d.sum().item() > 0, x.grad)
print(
    torch.device("cpu") == "cpu",
    torch.device("cpu") == torch.device("cpu"),
    "cpu" == torch.device("cpu"),
)
print(torch.cuda.memory_allocated(), torch.cuda.max_memory_allocated())
