"""Real PyTorch programs about tensors and autograd, run on torch and on ``gradiente run``.

Each script in ``tensor_scripts/`` is written for PyTorch (in the style of its tutorials and
docs) and prints its results. The test runs it twice in fresh interpreters — once with the real
torch, once as ``python -m gradiente run script.py`` — and compares what was printed, line by
line. A line whose numbers print identically must be identical. Otherwise the text between the
numbers must be identical up to runs of spaces (a tensor's column width follows its values),
integers must be equal, and other numbers must agree to a relative tolerance (float32 results
differ in the last digits) or to one unit in the last printed digit. Object addresses
(``0x7f...``) are ignored. A script may set its own tolerance with a ``# compare: rtol=...``
line.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import math
import pathlib
import re
import subprocess
import sys

import pytest

SCRIPTS = pathlib.Path(__file__).parent / "tensor_scripts"
DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-7

# A number as Python or a tensor prints it: 12, -0.5, 1.5e-07, 3., nan, inf.
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)(?![\w])")


# Object addresses (``<AddBackward0 object at 0x7f...>``) differ from run to run.
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def _tokens(text: str):
    """Split output into (texts between numbers, numbers as strings)."""
    numbers = _NUMBER.findall(text)
    texts = [" ".join(part.split()) for part in _NUMBER.split(text)]
    return texts, numbers


def _last_digit(token: str) -> float:
    """One unit in the last printed digit of ``token`` (0 for an integer)."""
    mantissa, _, exponent = token.lower().partition("e")
    if "." not in mantissa:
        return 0.0
    decimals = len(mantissa.split(".")[1])
    return 10.0 ** (int(exponent or 0) - decimals)


def _numbers_agree(expected: str, got: str, rtol: float, atol: float) -> bool:
    if expected == got:
        return True
    a, b = float(expected), float(got)
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return False
    if "." not in expected + got and "e" not in (expected + got).lower():
        return a == b  # integers (counts, indices, shapes) must be exact
    ulp = max(_last_digit(expected), _last_digit(got))
    return abs(a - b) <= max(atol, rtol * abs(a), 1.01 * ulp)


def compare_outputs(expected: str, got: str, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL) -> str | None:
    """None when the two outputs agree, else a description of the first difference."""
    expected, got = _ADDRESS.sub("0x?", expected), _ADDRESS.sub("0x?", got)
    exp_lines, got_lines = expected.splitlines(), got.splitlines()
    if len(exp_lines) != len(got_lines):
        return f"torch printed {len(exp_lines)} lines, gradiente {len(got_lines)}"
    for n, (e_line, g_line) in enumerate(zip(exp_lines, got_lines), 1):
        e_texts, e_numbers = _tokens(e_line)
        g_texts, g_numbers = _tokens(g_line)
        if e_numbers == g_numbers:
            same = e_line == g_line  # same numbers: the spacing must match too
        else:
            # a tensor's column width follows its printed values, so spacing may differ
            same = e_texts == g_texts and len(e_numbers) == len(g_numbers)
            same = same and all(
                _numbers_agree(a, b, rtol, atol) for a, b in zip(e_numbers, g_numbers)
            )
        if not same:
            return f"line {n} differs:\n  torch:     {e_line}\n  gradiente: {g_line}"
    return None


def _tolerance(script: pathlib.Path) -> dict:
    match = re.search(r"^# compare: (.*)$", script.read_text(), re.MULTILINE)
    if not match:
        return {}
    return {k: float(v) for k, v in (item.split("=") for item in match[1].split(","))}


def _start(args, cwd) -> subprocess.Popen:
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", PYTHONHASHSEED="0")
    return subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=env,
    )


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.py")), ids=lambda p: p.stem)
def test_script_prints_what_torch_prints(script, tmp_path):
    pytest.importorskip("torch")
    # both interpreters run at once: torch's import dominates the time
    (tmp_path / "torch").mkdir()
    (tmp_path / "gradiente").mkdir()
    shim = pathlib.Path(__file__).parents[1] / "torchvision_shim.py"  # the real torchvision
    reference = _start([str(shim), str(script)], tmp_path / "torch")
    result = _start(["-m", "gradiente", "run", str(script)], tmp_path / "gradiente")
    ref_out, ref_err = reference.communicate()
    out, err = result.communicate()
    assert reference.returncode == 0, f"the script fails under torch:\n{ref_err}"
    assert result.returncode == 0, f"gradiente run failed:\n{err}"
    difference = compare_outputs(ref_out, out, **_tolerance(script))
    assert difference is None, difference


@pytest.mark.parametrize(
    "expected, got, agree",
    [
        ("tensor([1.0000, 2.5000])", "tensor([1.0000, 2.5000])", True),
        ("tensor([0.0586, 2.5000])", "tensor([0.0587, 2.5000])", True),  # last printed digit
        ("tensor([0.0586])", "tensor([0.0588])", False),
        ("loss 12.286672592163086", "loss 12.286672592163087", True),
        ("loss 12.28667", "loss 12.28767", False),
        ("99 12", "99 13", False),  # integers are exact
        ("tensor([-0.0000,  1.0000])", "tensor([0.0000, 1.0000])", True),
        ("torch.Size([2, 3])", "torch.Size([2, 3, 1])", False),
        ("grad_fn=<AddBackward0>)", "grad_fn=<MulBackward0>)", False),
        ("1.5e-07", "1.5000001e-07", True),
        ("nan inf", "nan inf", True),
        ("<AddBackward0 object at 0x7f12>", "<AddBackward0 object at 0x7e99aa>", True),
        ("a\nb", "a", False),
        ("tensor([ 0.00, 1.00])", "tensor([0.00, 1.00])", False),  # same numbers, other spacing
    ],
)
def test_compare_outputs(expected, got, agree):
    assert (compare_outputs(expected, got) is None) is agree
