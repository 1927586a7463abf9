"""The tensor layer's layout: small family modules, and a docstring on every public method."""

from __future__ import annotations

import pathlib

from gradiente.tensor import Tensor

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "src" / "gradiente" / "tensor"


def test_every_public_tensor_method_has_a_docstring():
    missing = [
        name
        for name in dir(Tensor)
        if not name.startswith("_")
        and callable(getattr(Tensor, name, None))
        and not (getattr(Tensor, name).__doc__ or "").strip()
    ]
    assert missing == []


def test_no_tensor_module_is_over_700_lines():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.glob("*.py")}
    assert len(sizes) >= 10
    assert {name: n for name, n in sizes.items() if n > 700} == {}


def test_tensor_hashes_by_identity_and_compares_element_wise():
    # Comparison's __eq__ must not unset the hash that core defines.
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    assert hash(a) != hash(b) and len({a, b}) == 2
    assert (a == b).tolist() == [True, True]
