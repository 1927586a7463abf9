"""The command line's number validators (``gradiente.cli.validators``) and ``--lr``'s help."""

from __future__ import annotations

import argparse
import json
import math
import re

import pytest

from gradiente.cli import main, validators


@pytest.mark.parametrize(
    "name,text,value",
    [
        ("positive_int", "3", 3),
        ("positive_int", "+7", 7),
        ("positive_float", "0.25", 0.25),
        ("positive_float", "1e-3", 0.001),
        ("positive_float", "inf", math.inf),
        ("non_negative_float", "0", 0.0),
        ("non_negative_float", "-0", 0.0),
        ("non_negative_float", "2.5", 2.5),
        ("fraction", "0", 0.0),
        ("fraction", "0.999", 0.999),
        ("batch_size", "1", 1),
        ("batch_size", "64", 64),
        ("batch_size", "full", "full"),
    ],
)
def test_a_valid_number_is_returned_parsed(name, text, value):
    result = getattr(validators, name)(text)
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("positive_int", "0", "a positive integer"),
        ("positive_int", "1.5", "a positive integer"),
        ("positive_int", "x", "a positive integer"),
        ("positive_float", "0", "a positive number"),
        ("positive_float", "-2", "a positive number"),
        ("positive_float", "nan", "a positive number"),
        ("non_negative_float", "-1e-9", "a number >= 0"),
        ("non_negative_float", "nan", "a number >= 0"),
        ("fraction", "1", "a fraction in [0, 1)"),
        ("fraction", "-0.1", "a fraction in [0, 1)"),
        ("fraction", "nan", "a fraction in [0, 1)"),
        ("batch_size", "0", "a positive integer or 'full'"),
        ("batch_size", "FULL", "a positive integer or 'full'"),
        ("batch_size", "", "a positive integer or 'full'"),
    ],
)
def test_a_bad_number_is_refused_with_what_was_expected(name, text, expected):
    with pytest.raises(argparse.ArgumentTypeError) as error:
        getattr(validators, name)(text)
    assert str(error.value) == f"expected {expected}, got {text!r}"


def test_a_bad_number_on_the_command_line_exits_2_naming_the_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--lr", "nan"])
    assert exit_info.value.code == 2
    assert "argument --lr: expected a positive number, got 'nan'" in capsys.readouterr().err


def _lr_defaults_in_help(capsys, monkeypatch) -> dict[str, float]:
    """``{optimizer: lr}`` as ``gradiente train -h`` lists them (on one line: wide terminal)."""
    monkeypatch.setenv("COLUMNS", "1000")
    with pytest.raises(SystemExit):
        main(["train", "-h"])
    line = next(s for s in capsys.readouterr().out.splitlines() if s.lstrip().startswith("--lr"))
    listed = line.split("--optimizer:", 1)[1]
    return {name: float(value) for name, value in re.findall(r"([a-z]+) ([0-9.e-]+)", listed)}


def test_lr_help_names_the_default_of_every_optimizer(capsys, monkeypatch):
    defaults = _lr_defaults_in_help(capsys, monkeypatch)
    assert defaults == {
        "sgd": 0.1,
        "momentum": 0.01,
        "nesterov": 0.01,
        "adagrad": 0.01,
        "rmsprop": 0.001,
        "adadelta": 1.0,
        "adam": 0.001,
        "adamw": 0.001,
        "nadam": 0.002,
    }


def test_sgd_trains_with_the_learning_rate_its_help_names(tmp_path, capsys, monkeypatch):
    help_lr = _lr_defaults_in_help(capsys, monkeypatch)["sgd"]
    run = tmp_path / "run"
    args = ["train", "--dataset", "moons", "--optimizer", "sgd", "--epochs", "1"]
    assert main([*args, "--no-progress", "--out", str(run)]) == 0
    lr = json.loads((run / "config.json").read_text())["lr"]
    assert lr == help_lr == 0.1
    assert "sgd (lr 0.1, weight decay 0)" in capsys.readouterr().out
