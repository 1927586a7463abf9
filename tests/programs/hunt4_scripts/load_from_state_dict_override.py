# ruff: noqa  (written as the hunt found it)
import torch, torch.nn as nn


class Old(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        print("version", local_metadata.get("version"), "prefix", repr(prefix), sorted(state_dict))
        for k in list(state_dict):
            if k.startswith(prefix + "fc."):
                state_dict[prefix + "lin." + k[len(prefix) + 3 :]] = state_dict.pop(k)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )


torch.manual_seed(0)
net = nn.Sequential(Old(), nn.ReLU())
sd = {"0.fc.weight": torch.ones(2, 2), "0.fc.bias": torch.zeros(2)}
print(net.load_state_dict(sd))
print(net[0].lin.weight)
sd2 = net.state_dict()
print(sd2._metadata)
print(net.load_state_dict(sd2))
try:
    net.load_state_dict({"0.fc.weight": torch.ones(3, 2), "0.fc.bias": torch.zeros(2)})
except RuntimeError as e:
    print(e)
print(net[0].lin.weight)
