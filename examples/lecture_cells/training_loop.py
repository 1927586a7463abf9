"""The lecture's training-loop cell (zero_grad, forward, backward, step): ``gradiente run
training_loop.py``.

The cell leaves the model, loss, optimizer and data out ("omissos"); the setup below supplies
them (a linear model on the data of section 6: x = 2.1, y = 4, w = 1, b = 0, η = 0.01), then
the cell runs verbatim, and the last lines print what the lecture's worked example computes by
hand: w = 1.0798, b = 0.038.

Expected output:
w = 1.0798, b = 0.038
"""

import torch
import torch.nn as nn

# Setup: the names the cell uses.
model = nn.Linear(1, 1)
with torch.no_grad():
    model.weight.fill_(1.0)
    model.bias.fill_(0.0)
criterion = nn.MSELoss()
inputs = torch.tensor([[2.1]])
targets = torch.tensor([[4.0]])
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

# The lecture's cell, verbatim.

# Definição do modelo e perda (omissos)
# model = ...
# loss = ...

# 1. Zera gradientes (evita acumulação)
optimizer.zero_grad()

# 2. Forward Pass
predictions = model(inputs)
loss_value = criterion(predictions, targets)

# 3. Backward Pass (Cálculo Automático)
loss_value.backward()  # Computa dL/dW para todos os W

# 4. Atualização (Gradient Descent)
optimizer.step()  # w ← w - η * dL/dw

print(f"w = {model.weight.item():.5g}, b = {model.bias.item():.5g}")
