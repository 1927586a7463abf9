"""``gradiente lecture`` through the command line's entry point."""

from __future__ import annotations

from gradiente import cli


def test_lecture_list_names_every_section(capsys):
    assert cli.main(["lecture", "--list"]) == 0
    out = capsys.readouterr().out
    for name in (
        "gd",
        "linreg",
        "lr",
        "batch",
        "nonconvex",
        "backprop",
        "mlp",
        "autograd",
        "xavier",
        "optimizers",
        "adam",
    ):
        assert f" {name} " in out


def test_lecture_autograd_section_prints_the_lecture_lines(tmp_path, capsys):
    assert cli.main(["lecture", "--only", "autograd", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "dL/dw :  tensor(-0.5600)\ndL/db :  tensor(-0.4000)\n" in out
    assert "tensor([-0.5600], grad_fn=<MulBackward0>)" in out
    assert any(tmp_path.iterdir())
