"""``torch.utils.model_zoo``: the old name of ``torch.hub.load_state_dict_from_url``
(``model_zoo.load_url(url)``), which reads the hub's checkpoint cache (gradiente does not
download)."""

from __future__ import annotations

from gradiente.hub import load_state_dict_from_url

load_url = load_state_dict_from_url

__all__ = ["load_url"]
