import torch

try:
    torch.ones(2).to("cuda")
except AssertionError:
    print("AssertionError caught")
