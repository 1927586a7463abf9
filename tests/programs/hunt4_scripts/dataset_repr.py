# ruff: noqa  (written as the hunt found it)
import torch, torchvision
from torchvision import datasets, transforms as T

ds = datasets.FakeData(
    size=4,
    image_size=(3, 8, 8),
    transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]),
    target_transform=lambda y: y,
)
print(repr(ds).replace(repr(ds.target_transform), "<lambda>"))
print(datasets.FakeData(size=4, image_size=(3, 8, 8), transform=T.ToTensor()))
print(datasets.FakeData(size=4))
