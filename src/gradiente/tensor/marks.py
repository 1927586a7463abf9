"""Marks on Tensor methods: the one place that says what else a method is.

A method's marks sit on its definition, so each op name is written once:

- ``@function``: also a function ``gradiente.X(input, ...)`` (written out, one line per name, in
  ``gradiente/_generated_functions.py`` by ``scripts/generate_functions.py``);
- ``@inplace``: has an in-place form ``x.X_(...)``, made here by ``inplace_form``
  (``@inplace(function=True)``: and ``gradiente.X_(input, ...)``);
- ``@numpy_axis``: also accepts NumPy's ``axis=`` and ``keepdims=``, as PyTorch does.

An alias in a class body (``absolute = abs``) is the same function object, so it carries the
same marks. ``marked(cls, mark)`` lists the names that carry a mark.
"""

from __future__ import annotations

import functools


def _mark(method, mark: str):
    method.__dict__.setdefault("_gradiente_marks", set()).add(mark)
    return method


def function(method):
    """Mark: the method is also ``gradiente.<name>(input, ...)``."""
    return _mark(method, "function")


def inplace(method=None, *, function: bool = False):
    """Mark: the method has an in-place form ``<name>_`` (see ``inplace_form``); with
    ``function=True`` that form is also ``gradiente.<name>_(input, ...)``."""

    def mark(method):
        _mark(method, "inplace")
        return _mark(method, "inplace_function") if function else method

    return mark if method is None else mark(method)


def numpy_axis(function):
    """Also accept NumPy's spellings ``axis=`` and ``keepdims=``, as PyTorch does."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return function(*args, **kwargs)

    return _mark(wrapper, "numpy_axis")


def marks(value) -> set:
    """The marks on a class attribute (empty for unmarked ones)."""
    return getattr(value, "__dict__", {}).get("_gradiente_marks", set())


def marked(cls, mark: str) -> list[str]:
    """The public names in ``cls`` (and its bases) whose definition carries ``mark``, in
    definition order."""
    names = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if not name.startswith("_") and mark in marks(value):
                names[name] = None
    return list(names)


def inplace_form(name: str, cast_checked):
    """The method ``x.<name>_(...)``: compute ``x.<name>(...)`` out of place, then write the
    result into x's memory (and graph) with ``Tensor._inplace``."""

    def method(self, *args, **kwargs):
        return self._inplace(lambda s, *a: cast_checked(s, getattr(s, name)(*a, **kwargs)), *args)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place ``{name}``: ``x.{name}_(...)`` stores ``x.{name}(...)`` in x."
    return method
