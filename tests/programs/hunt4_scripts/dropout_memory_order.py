# ruff: noqa  (written as the hunt found it)
import torch, torch.nn as nn

torch.manual_seed(0)
lstm = nn.LSTM(3, 4, batch_first=True)
gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)
x = torch.randn(2, 5, 3)
out, _ = lstm(x)
print(out.stride(), out.is_contiguous())
out2, _ = gru(x)
print(out2.stride(), out2.is_contiguous())
torch.manual_seed(1)
print(torch.nn.functional.dropout(out, 0.5).sum(), torch.nn.functional.dropout(out2, 0.3).sum())
tr = nn.TransformerEncoderLayer(4, 2, 8, batch_first=True, dropout=0.0)
y = tr(out)
print(y.stride())
print(
    torch.nn.functional.dropout(x.transpose(1, 2), 0.5).sum(),
    torch.nn.functional.dropout(x[:, ::2], 0.5).sum(),
)
