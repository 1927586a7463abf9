"""Higher-order gradients (create_graph), torch.autograd.grad, hooks and retain_grad."""

import torch

# Second derivative of y = x^3 at x = 2: dy/dx = 3x^2 = 12, d2y/dx2 = 6x = 12
x = torch.tensor(2.0, requires_grad=True)
y = x**3
(dy_dx,) = torch.autograd.grad(y, x, create_graph=True)
print(dy_dx)
(d2y_dx2,) = torch.autograd.grad(dy_dx, x)
print(d2y_dx2)

# Gradient penalty style: the norm of a gradient, backpropagated
torch.manual_seed(0)
w = torch.randn(3, 3, requires_grad=True)
inp = torch.randn(4, 3, requires_grad=True)
out = torch.tanh(inp @ w).sum()
(g,) = torch.autograd.grad(out, inp, create_graph=True)
penalty = g.pow(2).sum()
penalty.backward()
print(g)
print(w.grad)

# backward(create_graph=True) then grad of the grad
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (x.sin() * x).sum()
y.backward(create_graph=True)
gx = x.grad
print(gx)
x.grad = None
gx.sum().backward()
print(x.grad)

# Third derivative by repeated grad
x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
f = torch.exp(2 * x) * torch.sigmoid(x)
d1 = torch.autograd.grad(f, x, create_graph=True)[0]
d2 = torch.autograd.grad(d1, x, create_graph=True)[0]
d3 = torch.autograd.grad(d2, x)[0]
print(f.item(), d1.item(), d2.item(), d3.item())

# Multiple inputs and outputs, grad_outputs, allow_unused
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([3.0, 4.0], requires_grad=True)
c = torch.tensor([5.0, 6.0], requires_grad=True)
y1 = a * b
y2 = a + b
ga, gb = torch.autograd.grad([y1, y2], [a, b], grad_outputs=[torch.ones(2), torch.full((2,), 2.0)])
print(ga, gb)
ga, gc = torch.autograd.grad((a * b).sum(), [a, c], allow_unused=True)
print(ga, gc)
try:
    torch.autograd.grad((a * 2).sum(), [a, c])
except RuntimeError as e:
    print("RuntimeError:", "not have been used in the graph" in str(e))

# Tensor hooks: inspect and modify gradients
v = torch.tensor([0.0, 0.0, 0.0], requires_grad=True)
seen = []
h = v.register_hook(lambda grad: seen.append(grad.clone()))
v.backward(torch.tensor([1.0, 2.0, 3.0]))
print(v.grad, seen)
h.remove()

v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
v.register_hook(lambda grad: grad * 2)  # double the gradient
(v * v).sum().backward()
print(v.grad)

# Hook on an intermediate tensor and retain_grad
x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
h = x * 3
h.retain_grad()
h.register_hook(lambda grad: grad.clamp(min=0))
z = (h * torch.tensor([1.0, -1.0, 2.0])).sum()
z.backward()
print(h.grad, x.grad, h.is_leaf, h.retains_grad)

# Gradient accumulation over several backward calls, then zero_
p = torch.ones(2, requires_grad=True)
for k in range(3):
    (p * (k + 1)).sum().backward()
print(p.grad)
p.grad.zero_()
print(p.grad)

# retain_graph
x = torch.tensor(3.0, requires_grad=True)
y = x**2
y.backward(retain_graph=True)
y.backward()
print(x.grad)
try:
    z = x.exp()
    z.backward()
    z.backward()
except RuntimeError as e:
    print("second backward fails:", "second time" in str(e))

# Gradients only with respect to some inputs
a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(3.0, requires_grad=True)
(a * b).backward(inputs=[a])
print(a.grad, b.grad)

# Non-scalar output needs a gradient argument
x = torch.randn(3, requires_grad=True)
try:
    (x * 2).backward()
except RuntimeError as e:
    print("grad can be implicitly created only for scalar outputs" in str(e))

# gradcheck and gradgradcheck in float64
gradcheck, gradgradcheck = torch.autograd.gradcheck, torch.autograd.gradgradcheck
inp = torch.randn(4, 3, dtype=torch.double, requires_grad=True)
print(gradcheck(lambda t: (t.sigmoid() * t).sum(dim=1), (inp,), eps=1e-6, atol=1e-4))
print(gradgradcheck(lambda t: t.tanh() ** 2, (inp,)))

# Inspecting the graph: grad_fn, next_functions, node hooks
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([3.0, 4.0], requires_grad=True)
c = (a * b + a.exp()).sum()
print(c.grad_fn)
print(c.grad_fn.next_functions[0])
print(c.grad_fn.next_functions[0][0].next_functions)
mul = c.grad_fn.next_functions[0][0].next_functions[0][0]
print(mul.name(), mul.next_functions[1][0].variable is b)
seen = []
mul.register_hook(lambda grad_inputs, grad_outputs: seen.append(len(grad_inputs)))
mul.register_prehook(lambda grad_outputs: (grad_outputs[0] * 10,))
c.backward()
print(a.grad, b.grad, seen)

# Post-accumulate-grad hooks see the leaf after its .grad is updated
p = torch.tensor([1.0, -1.0], requires_grad=True)
p.register_post_accumulate_grad_hook(lambda t: print("accumulated:", t.grad))
(p * 3).sum().backward()
(p * 2).sum().backward()
