import torch

torch.manual_seed(1)
torch.set_printoptions(precision=6)

X = torch.randn(20, 3, dtype=torch.float64)
true_w = torch.tensor([[1.5], [-2.0], [0.5]], dtype=torch.float64)
y = X @ true_w + 0.01 * torch.randn(20, 1, dtype=torch.float64)

sol = torch.linalg.lstsq(X, y)
print(sol.solution)
print(type(sol).__name__, sol.solution.shape, sol.residuals, sol.rank, sol.singular_values)
w_normal = torch.linalg.solve(X.T @ X, X.T @ y)
print(w_normal)
w_pinv = torch.linalg.pinv(X) @ y
print(w_pinv)
print(torch.allclose(w_normal, w_pinv), (w_normal - sol.solution).abs().max() < 1e-10)

# float32 lstsq
Xf = X.float()
yf = y.float()
print(torch.linalg.lstsq(Xf, yf).solution)
print(torch.linalg.lstsq(Xf, yf, driver="gelsd"))

# Power iteration
A = torch.randn(6, 6)
A = A + A.T
v = torch.ones(6) / 6**0.5
for _ in range(200):
    v = A @ v
    v = v / v.norm()
lam = v @ A @ v
evals = torch.linalg.eigvalsh(A)
print(lam, evals)
print(evals.abs().max())

# Gram-Schmidt with in-place column writes
M = torch.randn(5, 4, dtype=torch.float64)
Q = torch.zeros_like(M)
R = torch.zeros(4, 4, dtype=torch.float64)
for j in range(4):
    v = M[:, j].clone()
    for i in range(j):
        R[i, j] = Q[:, i] @ M[:, j]
        v -= R[i, j] * Q[:, i]
    R[j, j] = v.norm()
    Q[:, j] = v / R[j, j]
print(Q)
print(R)
print(torch.dist(Q @ R, M))
print(Q.T @ Q)
q2, r2 = torch.linalg.qr(M)
print(r2.diagonal().abs() - R.diagonal())

# determinants, inverse, cholesky, eig
S = M.T @ M
L = torch.linalg.cholesky(S)
print(L)
print(torch.cholesky_solve(torch.eye(4, dtype=torch.float64), L) @ S)
print(torch.linalg.det(S), torch.logdet(S), torch.linalg.slogdet(S))
print(torch.linalg.inv(S) @ S)
U, Sv, Vh = torch.linalg.svd(M, full_matrices=False)
print(Sv)
print(torch.linalg.matrix_rank(M), torch.linalg.cond(M))
print(torch.linalg.norm(M), torch.linalg.norm(M, ord=2), torch.linalg.norm(M, "nuc"))
print(torch.linalg.matrix_norm(M, ord="fro"), torch.linalg.vector_norm(M, ord=3, dim=0))
print(torch.linalg.matrix_power(S, 3)[0])
print(torch.linalg.matrix_exp(S / 100))
print(torch.trace(S), torch.linalg.eigh(S).eigenvalues)
print(torch.linalg.multi_dot([M.T, M, M.T]).shape)
print(torch.linalg.solve_triangular(L, torch.eye(4, dtype=torch.float64), upper=False))
print(torch.triangular_solve(torch.eye(4, dtype=torch.float64), L, upper=False).solution)

# kernel ridge regression
torch.manual_seed(3)
xs = torch.linspace(-3, 3, 25).unsqueeze(1)
ys = torch.sin(xs).squeeze() + 0.1 * torch.randn(25)


def rbf(a, b, gamma=0.5):
    return torch.exp(-gamma * torch.cdist(a, b) ** 2)


K = rbf(xs, xs)
alpha = torch.linalg.solve(K + 0.1 * torch.eye(25), ys)
xt = torch.tensor([[-2.0], [0.0], [1.5]])
pred = rbf(xt, xs) @ alpha
print(pred, torch.sin(xt).squeeze())
print(K[:3, :3])
