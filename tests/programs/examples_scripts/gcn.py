"""Two-layer GCN with symmetric normalised dense adjacency."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
N, Fin, H, C = 12, 6, 8, 3
x = torch.randn(N, Fin)
edges = torch.randint(0, N, (2, 30))
A = torch.zeros(N, N)
A[edges[0], edges[1]] = 1.0
A = ((A + A.t()) > 0).float()
A.fill_diagonal_(1.0)
deg = A.sum(1)
d_inv_sqrt = deg.pow(-0.5)
d_inv_sqrt[torch.isinf(d_inv_sqrt)] = 0.0
A_hat = d_inv_sqrt.view(-1, 1) * A * d_inv_sqrt.view(1, -1)
print("deg", deg.tolist())
A_sp = A_hat
print(
    A_sp.is_sparse, int((A_sp != 0).sum()), A_sp.nonzero().shape, A_sp.nonzero(as_tuple=True)[1][:5]
)
y = torch.randint(0, C, (N,))
train_mask = torch.zeros(N, dtype=torch.bool)
train_mask[:8] = True


class GraphConv(nn.Module):
    def __init__(self, fin, fout):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(fin, fout))
        self.bias = nn.Parameter(torch.zeros(fout))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, x, adj):
        return torch.sparse.mm(adj, x @ self.weight) + self.bias


class GCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.gc1 = GraphConv(Fin, H)
        self.gc2 = GraphConv(H, C)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = self.dropout(x)
        return F.log_softmax(self.gc2(x, adj), dim=1)


model = GCN()
opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
for epoch in range(6):
    model.train()
    opt.zero_grad()
    out = model(x, A_sp)
    loss = F.nll_loss(out[train_mask], y[train_mask])
    loss.backward()
    opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(x, A_hat).argmax(dim=1)
        acc = (pred[~train_mask] == y[~train_mask]).sum().item() / int((~train_mask).sum())
    print(f"Epoch {epoch:03d} loss {loss.item():.5f} val acc {acc:.4f}")
print(pred)
idx = torch.tensor([[0, 1, 1], [2, 0, 2]])
v = torch.tensor([3.0, 4.0, 5.0])
dense = torch.zeros(2, 3).index_put_((idx[0], idx[1]), v, accumulate=True)
print(dense, dense.sum().item())
onehot = torch.zeros(N, C).scatter_(1, y.unsqueeze(1), 1.0)
print(onehot.sum(0), onehot.gather(1, y.unsqueeze(1)).squeeze().sum())
support = torch.spmm(A_hat, x)
print(
    support.shape,
    f"{support.sum().item():.4f}",
    torch.sparse.addmm(torch.ones(N, Fin), A_hat, x, beta=0.5, alpha=2.0)[0, :3],
)
print(isinstance(A_hat, torch.sparse.Tensor), A_hat.layout)
