# ruff: noqa  (written as the hunt found it)
import torch, torch.nn as nn

for d in ([[1, 2], [3]], [[1.0], [2.0, 3.0]], [[[1], [2]], [[3]]]):
    try:
        torch.tensor(d)
    except Exception as e:
        print(type(e).__name__, e)
mha = nn.MultiheadAttention(16, 4, batch_first=True)
q = torch.randn(2, 3, 16)
try:
    mha(q, q, q, attn_mask=torch.zeros(5, 3, dtype=torch.bool))
except RuntimeError as e:
    print(e)
try:
    mha(q, q, q, attn_mask=torch.zeros(2, 5, 3, dtype=torch.bool))
except RuntimeError as e:
    print(e)
try:
    torch.nn.functional.interpolate(torch.ones(1, 1, 4, 4), size=(0, 5))
except Exception as e:
    print(type(e).__name__, e)
