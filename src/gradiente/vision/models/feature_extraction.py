"""torchvision's feature extraction (``torchvision.models.feature_extraction``):
``create_feature_extractor`` and ``get_graph_node_names``, built on forward hooks.

torchvision traces the model with ``torch.fx`` and cuts the graph after the nodes asked for,
so any node can be returned: a submodule's output (``"layer1"``, ``"layer2.0.bn1"``) but also
a functional op's (``"layer1.0.add"``, ``"flatten"``, the second call of a module,
``"layer1.0.relu_1"``). gradiente has no FX tracer; it runs the model as it is, with a forward
hook on each submodule asked for, and stops the forward pass (an internal exception) once every
requested output is in. What that covers, and what it does not:

- a return node naming a submodule returns that submodule's output, as with FX: for a module
  called more than once, its first call, and ``"name_N"`` its call N + 1, as FX numbers them;
- a functional node (``add``, ``flatten``, ``getitem``, ...) is not a module, has no hook, and
  is refused with a ``ValueError`` naming it;
- ``get_graph_node_names`` lists the input and the leaf modules in registration order (an FX
  graph is in execution order, which is the same for models whose modules are registered in
  the order they run), without the functional nodes;
- the extractor shares the model's modules (as the FX ``GraphModule`` does) and keeps all of
  them, the unused ones included, in its ``state_dict``.
"""

from __future__ import annotations

import inspect
import re
from collections import OrderedDict
from typing import Any

from gradiente import nn

__all__ = ["create_feature_extractor", "get_graph_node_names"]

# containers are traced through by FX, not leaves
_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def _is_leaf(module: nn.Module) -> bool:
    """FX's leaf modules: torch.nn's own layers (gradiente.nn's here) and childless modules."""
    if isinstance(module, _CONTAINERS):
        return False
    return module.__module__.startswith("gradiente.nn") or not any(True for _ in module.children())


def _input_name(model: nn.Module) -> str:
    """The name FX gives the input placeholder: the forward's first parameter."""
    params = list(inspect.signature(model.forward).parameters)
    return params[0] if params else "x"


def get_graph_node_names(
    model: nn.Module,
    tracer_kwargs: dict[str, Any] | None = None,
    suppress_diff_warning: bool = False,
    concrete_args: dict[str, Any] | None = None,
) -> tuple[list[str], list[str]]:
    """The (train, eval) node names that ``create_feature_extractor`` accepts: the input and
    every leaf module by qualified name. FX's functional nodes (``add``, ``flatten``, repeated
    calls ``relu_1``) are absent: gradiente does not trace (see the module docstring)."""
    names = [_input_name(model)]
    names += [name for name, m in model.named_modules() if name and _is_leaf(m)]
    return names, list(names)


class _Done(Exception):
    """Raised by the last hook needed: the rest of the forward pass is not run."""


def _call_index(query: str, modules: dict[str, nn.Module]) -> tuple[str, int]:
    """(module name, which call from 0) a return node names: ``"relu"`` is the first call of
    the module ``relu``, ``"relu_1"`` its second when ``relu_1`` is not a module itself."""
    if query in modules:
        return query, 0
    match = re.fullmatch(r"(.+)_(\d+)", query)
    if match and match.group(1) in modules:
        return match.group(1), int(match.group(2))
    raise ValueError(
        f"node: '{query}' is not present in model as a submodule. gradiente's "
        "create_feature_extractor returns the outputs of submodules only (forward hooks, no "
        "torch.fx tracing): functional nodes such as 'add', 'flatten' or 'getitem' that FX "
        "would name cannot be returned. Hint: use `get_graph_node_names` to see the nodes "
        "available, or return the output of the submodule that computes it."
    )


class FeatureExtractor(nn.Module):
    """The model run with hooks that collect the outputs of its return nodes into an ordered
    dict (in the order they are computed); ``train_return_nodes`` serve in training mode,
    ``eval_return_nodes`` in evaluation mode. The model's modules are shared, not copied."""

    def __init__(self, model: nn.Module, train_nodes: dict, eval_nodes: dict) -> None:
        super().__init__()
        object.__setattr__(self, "_model", model)  # not a submodule: state_dict keys as model's
        for name, child in model.named_children():
            self.add_module(name, child)
        modules = dict(model.named_modules())
        input_name = _input_name(model)
        self._plans = {}
        for mode, nodes in (("train", train_nodes), ("eval", eval_nodes)):
            self._plans[mode] = [
                (out_name, None if query == input_name else _call_index(query, modules))
                for query, out_name in nodes.items()
            ]

    def forward(self, *args, **kwargs):
        plan = self._plans["train" if self.training else "eval"]
        model = self._model
        model.training = self.training
        modules = dict(model.named_modules())
        found: dict[str, Any] = {}
        wanted = {out_name for out_name, _ in plan}
        handles = []
        for out_name, target in plan:
            if target is None:  # the input itself
                found[out_name] = args[0] if args else next(iter(kwargs.values()))
                continue
            handles.append(
                modules[target[0]].register_forward_hook(
                    self._hook(found, wanted, out_name, target[1])
                )
            )
        try:
            if len(found) < len(wanted):
                model(*args, **kwargs)
        except _Done:
            pass
        finally:
            for handle in handles:
                handle.remove()
        return OrderedDict(found)

    @staticmethod
    def _hook(found: dict, wanted: set, out_name: str, call: int):
        """A forward hook keeping the output of the module's call number ``call`` (from 0);
        the last output wanted ends the forward pass."""
        calls = [0]

        def hook(module, inputs, output):
            calls[0] += 1
            if calls[0] == call + 1:
                found[out_name] = output
                if len(found) == len(wanted):
                    raise _Done

        return hook


def _to_strdict(nodes) -> dict[str, str]:
    if isinstance(nodes, list):
        return {str(n): str(n) for n in nodes}
    return {str(k): str(v) for k, v in nodes.items()}


def create_feature_extractor(
    model: nn.Module,
    return_nodes: list[str] | dict[str, str] | None = None,
    train_return_nodes: list[str] | dict[str, str] | None = None,
    eval_return_nodes: list[str] | dict[str, str] | None = None,
    tracer_kwargs: dict[str, Any] | None = None,
    suppress_diff_warning: bool = False,
    concrete_args: dict[str, Any] | None = None,
) -> nn.Module:
    """A module returning the outputs of ``return_nodes`` (a list of submodule names, or a dict
    {submodule name: output name}) as an ordered dict; see the module docstring for which nodes
    gradiente can return."""
    if all(arg is None for arg in [return_nodes, train_return_nodes, eval_return_nodes]):
        raise ValueError(
            "Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` together, "
            "should be specified"
        )
    if (train_return_nodes is None) ^ (eval_return_nodes is None):
        raise ValueError(
            "If any of `train_return_nodes` and `eval_return_nodes` are specified, then both "
            "should be specified"
        )
    if not ((return_nodes is None) ^ (train_return_nodes is None)):
        raise ValueError(
            "If `train_return_nodes` and `eval_return_nodes` are specified, then both should be "
            "specified"
        )
    if train_return_nodes is None:
        train_return_nodes = eval_return_nodes = _to_strdict(return_nodes)
    extractor = FeatureExtractor(
        model, _to_strdict(train_return_nodes), _to_strdict(eval_return_nodes)
    )
    extractor.train(model.training)
    return extractor
