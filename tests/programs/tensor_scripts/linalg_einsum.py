"""Matrix products, einsum and torch.linalg in small worked examples."""

import torch

torch.manual_seed(0)
A = torch.randn(3, 4, dtype=torch.float64)
B = torch.randn(4, 5, dtype=torch.float64)
v = torch.randn(4, dtype=torch.float64)
print(torch.mm(A, B))
print(torch.mv(A, v), A @ v, torch.matmul(A, v))
print(torch.dot(v, v), v @ v, torch.inner(v, v))
print(torch.outer(v, v[:2]))
print(torch.bmm(torch.ones(2, 3, 4), torch.ones(2, 4, 1)).shape)
print(torch.addmm(torch.ones(3, 5, dtype=torch.float64), A, B)[0])
print(torch.einsum("ij,jk->ik", A, B).allclose(A @ B))
print(torch.einsum("i,i->", v, v), torch.einsum("ii", torch.eye(3)))
print(torch.einsum("bij,bjk->bik", torch.ones(2, 3, 4), torch.ones(2, 4, 5)).shape)
print(
    torch.einsum("ij->ji", A).shape, torch.einsum("ij->j", A), torch.einsum("i,j->ij", v, v).shape
)
print(torch.einsum("...ij,...jk", torch.ones(2, 3, 4), torch.ones(4, 2)).shape)
print(torch.einsum("bhqd,bhkd->bhqk", torch.ones(1, 2, 3, 4), torch.ones(1, 2, 5, 4)).shape)
print(torch.kron(torch.eye(2), torch.ones(2, 2)))

M = torch.tensor([[4.0, 1.0], [2.0, 3.0]], dtype=torch.float64)
print(torch.linalg.inv(M), torch.inverse(M))
print(torch.linalg.det(M), torch.det(M))
print(torch.linalg.solve(M, torch.tensor([1.0, 2.0], dtype=torch.float64)))
S = M @ M.T
L = torch.linalg.cholesky(S)
print(L, torch.allclose(L @ L.T, S))
eigvals = torch.linalg.eigvalsh(S)
print(eigvals)
U, Sv, Vh = torch.linalg.svd(A, full_matrices=False)
print(Sv, torch.allclose(U @ torch.diag(Sv) @ Vh, A))
Q, R = torch.linalg.qr(A.T)
print(Q.shape, R.shape, torch.allclose(Q @ R, A.T))
print(torch.linalg.matrix_rank(A), torch.linalg.pinv(A).shape)
print(torch.linalg.norm(A), torch.linalg.norm(v, ord=float("inf")))

# Least squares by the normal equations, with gradients through the solve
X = torch.randn(20, 3, dtype=torch.float64)
true_w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
y = X @ true_w + 0.01 * torch.randn(20, dtype=torch.float64)
w = torch.linalg.solve(X.T @ X, X.T @ y)
print(w)
print(torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze())

# einsum with autograd
P = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
Q = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
out = torch.einsum("ij,jk->ik", P, Q).pow(2).sum() + torch.einsum("ij,ij->", P, P)
out.backward()
print(P.grad)
print(Q.grad)
Minv = M.clone().requires_grad_(True)
torch.linalg.inv(Minv).sum().backward()
print(Minv.grad)
