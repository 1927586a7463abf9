# ruff: noqa  (written as the hunt found it)
import torchvision
from torchvision import models

print(models.list_models(module=models)[:3], len(models.list_models(module=models.resnet)))
