# ruff: noqa  (written as the hunt found it)
import torch

for d in (
    [[1, 2], [3]],
    [[1.0], [2.0, 3.0]],
    [[[1], [2]], [[3]]],
    [[1, 2], 3],
    [1, [2, 3]],
    [[1, 2], [3, [4]]],
    [[1.5, 2], [3, [4]]],
    [[]],
    [[], [1]],
):
    try:
        print(torch.tensor(d).shape)
    except Exception as e:
        print(type(e).__name__, e)
