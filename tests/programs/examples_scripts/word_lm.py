"""Word-level LSTM language model, tied weights, clipping, repackaged hidden state."""

import io
import math

import torch
import torch.nn as nn

torch.manual_seed(2)


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.2, tie_weights=True):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.nhid, self.nlayers = nhid, nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (
            weight.new_zeros(self.nlayers, bsz, self.nhid),
            weight.new_zeros(self.nlayers, bsz, self.nhid),
        )


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt=5):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].view(-1)


ntokens = 20
corpus = torch.randint(0, ntokens, (203,))
train_data = batchify(corpus, 4)
print(train_data.shape, train_data.is_contiguous(), train_data.stride())
model = RNNModel(ntokens, 16, 16, 2)
print(sum(p.numel() for p in model.parameters()), len(list(model.parameters())))
criterion = nn.NLLLoss()
lr = 5.0
for epoch in range(2):
    model.train()
    hidden = model.init_hidden(4)
    total_loss = 0.0
    for batch, i in enumerate(range(0, train_data.size(0) - 1, 5)):
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total_loss += loss.item()
        if batch % 3 == 0:
            print(
                f"| epoch {epoch} | batch {batch} | lr {lr:.2f} | loss {loss.item():5.4f} |",
                f"ppl {math.exp(loss.item()):8.3f} | gnorm {gn.item():.4f}",
            )
    model.eval()
    with torch.no_grad():
        hidden = model.init_hidden(4)
        total = 0.0
        for i in range(0, train_data.size(0) - 1, 5):
            data, targets = get_batch(train_data, i)
            output, hidden = model(data, hidden)
            total += len(data) * criterion(output, targets).item()
        print(f"eval loss {total / (len(train_data) - 1):.4f}")
    lr /= 4.0
buf = io.BytesIO()
torch.save(model, buf)
buf.seek(0)
m2 = torch.load(buf, weights_only=False)
print(m2.decoder.weight is m2.encoder.weight)
inp = torch.randint(ntokens, (1, 1), dtype=torch.long)
hidden = m2.init_hidden(1)
words = []
with torch.no_grad():
    for _ in range(8):
        output, hidden = m2(inp, hidden)
        word_weights = output.squeeze().div(1.0).exp()
        word_idx = torch.multinomial(word_weights, 1)[0]
        inp.fill_(word_idx)
        words.append(word_idx.item())
print(words)
