"""Seq2seq GRU with (Bahdanau-style) attention and teacher forcing."""

import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

random.seed(11)
torch.manual_seed(11)
SOS, EOS, V, H, MAXLEN = 0, 1, 12, 16, 6


class EncoderRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, H)
        self.gru = nn.GRU(H, H, batch_first=True)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        return self.gru(self.dropout(self.embedding(x)))


class BahdanauAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.Wa = nn.Linear(H, H)
        self.Ua = nn.Linear(H, H)
        self.Va = nn.Linear(H, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        return torch.bmm(weights, keys), weights


class AttnDecoderRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, H)
        self.attention = BahdanauAttention()
        self.gru = nn.GRU(2 * H, H, batch_first=True)
        self.out = nn.Linear(H, V)
        self.dropout = nn.Dropout(0.1)

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        b = encoder_outputs.size(0)
        decoder_input = torch.empty(b, 1, dtype=torch.long).fill_(SOS)
        decoder_hidden = encoder_hidden
        outs, attns = [], []
        for i in range(MAXLEN):
            out, decoder_hidden, attn = self.forward_step(
                decoder_input, decoder_hidden, encoder_outputs
            )
            outs.append(out)
            attns.append(attn)
            if target_tensor is not None:
                decoder_input = target_tensor[:, i].unsqueeze(1)
            else:
                _, topi = out.topk(1)
                decoder_input = topi.squeeze(-1).detach()
        outs = F.log_softmax(torch.cat(outs, dim=1), dim=-1)
        return outs, decoder_hidden, torch.cat(attns, dim=1)

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))
        query = hidden.permute(1, 0, 2)
        context, attn = self.attention(query, encoder_outputs)
        out, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
        return self.out(out), hidden, attn


# task: reverse a sequence of tokens 2..V-1, then EOS, padded with EOS
def make_pair():
    n = random.randint(2, MAXLEN - 1)
    src = [random.randint(2, V - 1) for _ in range(n)]
    tgt = src[::-1] + [EOS]

    def pad(s):
        return s + [EOS] * (MAXLEN - len(s))

    return pad(src + [EOS]), pad(tgt)


pairs = [make_pair() for _ in range(24)]
src = torch.tensor([p[0] for p in pairs])
tgt = torch.tensor([p[1] for p in pairs])
print(src[:2].tolist(), tgt[:2].tolist())
enc, dec = EncoderRNN(), AttnDecoderRNN()
eopt = optim.Adam(enc.parameters(), lr=0.01)
dopt = optim.Adam(dec.parameters(), lr=0.01)
crit = nn.NLLLoss()
for epoch in range(5):
    total = 0
    for i in range(0, 24, 8):
        s, t = src[i : i + 8], tgt[i : i + 8]
        eopt.zero_grad()
        dopt.zero_grad()
        eo, eh = enc(s)
        teacher = random.random() < 0.5
        do, _, _ = dec(eo, eh, t if teacher else None)
        loss = crit(do.view(-1, do.size(-1)), t.view(-1))
        loss.backward()
        eopt.step()
        dopt.step()
        total += loss.item()
    print(f"epoch {epoch} loss {total / 3:.5f} teacher {teacher}")
enc.eval()
dec.eval()
with torch.no_grad():
    eo, eh = enc(src[:3])
    do, _, attn = dec(eo, eh)
    _, topi = do.topk(1)
    print(topi.squeeze(-1).tolist())
    print(attn.shape, [f"{v:.4f}" for v in attn[0, 0].tolist()])
    print(F.softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0))
