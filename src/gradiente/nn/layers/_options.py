"""The options of a layer (its hyper-parameters), stored and printed in one place.

Most layers keep their constructor arguments as attributes of the same name and print them in
``extra_repr`` as ``name=value`` (torch's style). Each layer keeps torch's explicit constructor
signature, which users and IDEs read, and hands its arguments by name to ``store_options``;
``OptionsModule`` is the base of the layers that are nothing more than their options and one
call into ``nn.functional``.
"""

from __future__ import annotations

from gradiente.nn.module import Module


def store_options(module: Module, **options) -> None:
    """Set each keyword argument as an attribute of ``module``, in the order given."""
    for name, value in options.items():
        setattr(module, name, value)


def _shown(module: Module, name: str):
    """The value torch prints for the option ``name``: for a layer's ``bias`` (a Parameter or
    None) whether it has one, for every other option its value."""
    value = getattr(module, name)
    if name == "bias" and not isinstance(value, bool):
        return value is not None
    return value


def options_repr(module: Module, names: tuple[str, ...], positional: tuple[str, ...] = ()) -> str:
    """``a, b, name=value, ...``: the values of ``positional``, then ``name=value`` for
    ``names``; ``inplace`` is printed only when True, as in torch."""
    parts = [f"{_shown(module, name)}" for name in positional]
    parts += [f"{name}={_shown(module, name)}" for name in names if name != "inplace"]
    if "inplace" in names and module.inplace:
        parts.append("inplace=True")
    return ", ".join(parts)


class OptionsModule(Module):
    """A layer that holds only its options: ``__init__(**options)`` stores them and
    ``extra_repr`` prints them in that order (a layer overrides it where torch prints less)."""

    def __init__(self, **options) -> None:
        super().__init__()
        store_options(self, **options)
        self._option_names = tuple(options)

    def extra_repr(self) -> str:
        return options_repr(self, self._option_names)


def changed_options_repr(module: Module, head: str, defaults: dict) -> str:
    """``head``, then ``, name=value`` for each option that differs from its default: torch's
    repr of the layers with many options (Embedding, RNN) shows only the changed ones. A None or
    bool default is compared by identity (``is not``), a number by value (``!=``), as in torch."""
    text = head
    for name, default in defaults.items():
        value = getattr(module, name)
        by_identity = default is None or isinstance(default, bool)
        if (value is not default) if by_identity else (value != default):
            text += f", {name}={value}"
    return text
