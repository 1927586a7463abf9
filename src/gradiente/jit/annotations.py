"""``torch.jit.annotations``: the typing names TorchScript code imports (``List``, ``Tuple``,
``Optional``, ...) and ``BroadcastingList1/2/3`` (an int or a list of that many ints)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union  # noqa: F401, UP035 (re-exported)

BroadcastingList1 = BroadcastingList2 = BroadcastingList3 = List  # noqa: UP006
