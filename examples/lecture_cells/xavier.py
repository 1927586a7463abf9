"""The lecture's Xavier cell, verbatim: ``gradiente run xavier.py`` prints the lecture's tensor.

Expected output:
tensor([[ 0.4183,  0.1688,  0.0390],
        [ 0.3930, -0.2858, -0.1051]])
"""

import torch
import torch.nn as nn

torch.manual_seed(1)
w = torch.empty(2, 3)
nn.init.xavier_normal_(w)
print(w)
