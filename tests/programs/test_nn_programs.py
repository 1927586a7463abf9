"""Real PyTorch training programs, run on torch and on ``gradiente run``, compared line by line.

Each script in ``nn_scripts/`` is written for PyTorch, in the style of its official examples and
tutorials (the MNIST example, the CIFAR-10 classifier tutorial, the "Build the neural network",
"Optimizing model parameters" and "Save and load" tutorials, ...), and prints its results. The
test runs it in fresh interpreters, once with the real torch and once as
``python -m gradiente run script.py``, and compares what was printed: the text between numbers
must be identical (up to runs of spaces) and the numbers must agree within a tolerance.

Training in float32 drifts slowly (the two libraries round sums differently, and a ReLU or an
argmax can flip), so each program states its tolerances: tight by default, looser on the lines
that come late in training (a ``loose`` rule: a regular expression and its rtol/atol). The
programs marked ``float64`` are also run with ``torch.set_default_dtype(torch.float64)`` set
before the script starts: then there is no drift and the whole training must agree to 1e-6.

The scripts that read the real MNIST test split (``../shared/data/mnist``) skip without it.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import dataclasses
import importlib.util
import math
import pathlib
import re
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SCRIPTS = HERE / "nn_scripts"
MNIST_DIR = HERE.parents[2] / "shared" / "data" / "mnist"

# Runs a script after making float64 the default dtype: ``python float64.py script.py args``.
FLOAT64_WRAPPER = """\
import runpy
import sys

import torch

torch.set_default_dtype(torch.float64)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@dataclasses.dataclass(frozen=True)
class Program:
    """A script, its arguments and how closely its output must match torch's."""

    name: str
    args: tuple = ()
    mnist: bool = False  # reads ../shared/data/mnist (passed as --data-dir or first argument)
    rtol: float = 1e-4
    atol: float = 1e-6
    loose: tuple = ()  # (line regex, rtol, atol): the first rule whose regex matches a line wins
    float64: bool = False

    def arguments(self) -> list[str]:
        return [str(MNIST_DIR) if a == "{mnist}" else a for a in self.args]


# Late-training lines of the chaotic float32 runs: losses within 5 %, accuracies within 2 points
# (a count out of 300 within 6, a percentage within 2).
_EPOCH_2 = (r"^Train Epoch: 2", 0.05, 1e-3)
_TEST_SET = (r"^Test set", 0.05, 6)
_GRAD_NORM = ((r"grad norm", 0.01, 1e-3),)

PROGRAMS = [
    Program(
        "mnist_example",
        ("--data-dir", "{mnist}"),
        mnist=True,
        float64=True,
        loose=(_EPOCH_2, _TEST_SET, (r"^Train Epoch: 1 \[(192|256)", 0.01, 1e-3)),
    ),
    Program(
        "mnist_idx_mlp",
        ("--data-dir", "{mnist}"),
        mnist=True,
        loose=((r"^epoch [23]", 0.01, 0.5), (r"^max prob", 0.01, 0.005)),
    ),
    Program("optimization_tutorial", ("{mnist}",), mnist=True, float64=True),
    Program("cifar10_tutorial", float64=True, loose=((r"^\[2,", 0.01, 1e-3), (r"^Accuracy", 0, 2))),
    Program("build_model_tutorial"),
    Program("save_load_tutorial"),
    Program("custom_dataset_loader"),
    Program("regression", float64=True),
    Program("batchnorm_dropout", float64=True),
    Program("schedulers", float64=True),
    Program("init_clip", float64=True),
    Program("checkpoint_early_stopping", float64=True),
    Program("module_api"),
    Program(
        "mnist_rnn",
        ("--data-dir", "{mnist}", "--lr", "1.0"),
        mnist=True,
        float64=True,
        loose=((r"^Train Epoch: 2", 0.01, 1e-3), _TEST_SET),
    ),
    Program("word_language_model", float64=True),
    Program("word_language_model", ("--model", "GRU", "--tied"), float64=True),
    Program("word_language_model", ("--model", "RNN_TANH", "--epochs", "2")),
    Program("dcgan", float64=True, loose=((r"^\[1/", 0.01, 1e-3),)),
    Program("vae", ("--data-dir", "{mnist}"), mnist=True, float64=True),
    # A tiny nanoGPT-style character model. Its float32 losses agree to ~2e-5, but the gradient
    # norm amplifies rounding (Adam turns noise-level gradients into full steps): within 1 %.
    Program("nanogpt_char", float64=True, loose=_GRAD_NORM),
    Program("nanogpt_char", ("--attention", "manual", "--no-bias"), loose=_GRAD_NORM),
    # Written in float64 (as the original): the L-BFGS losses agree to ~1e-13.
    Program("time_sequence_lbfgs", rtol=1e-6, atol=1e-9),
    # Forward-forward: error rates out of 200 and 100 samples within two samples.
    Program("forward_forward", float64=True, loose=((r"error:", 0, 0.02),)),
    Program("makemore_mlp", ("--top-k", "4"), float64=True),
    # Two processes training one shared model: forked and taking turns (every loss
    # deterministic), and spawned as in the original, free-running hogwild, which only prints
    # what a race cannot change.
    Program("mnist_hogwild"),
    Program("mnist_hogwild", ("--free", "--start-method", "spawn")),
    # ResNet-18 in float64 (--double): one run, to the last digit. In float32, BatchNorm on
    # batches of 8 and Adadelta's first, nearly sign-like steps drift ~0.5 % by the second step.
    Program("siamese_resnet", ("--double",), rtol=1e-6, atol=1e-9),
    # A CIFAR-style ResNet with SGD (Nesterov, weight decay) and MultiStepLR; a U-Net whose
    # bilinear run drifts under RMSprop in float32 (its late losses within 0.1 %, the mask
    # fraction within a point); a padded Transformer-encoder classifier with AdamW + warmup.
    Program("cifar_resnet_sgd", float64=True),
    Program(
        "unet_dice",
        float64=True,
        loose=((r"^bilinear=True step", 1e-3, 1e-5), (r"^False 0\.", 0, 0.03)),
    ),
    Program("transformer_padding_classifier", float64=True),
]

# A number as Python or a tensor prints it: 12, -0.5, 1.5e-07, 3., nan, inf.
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)(?!\w)")


def _tokens(line: str) -> tuple[list[str], list[str]]:
    """(the texts between numbers, spaces collapsed; the numbers as printed)."""
    return [" ".join(part.split()) for part in _NUMBER.split(line)], _NUMBER.findall(line)


def _last_digit(token: str) -> float:
    """One unit in the last printed digit of ``token`` (0 for an integer)."""
    mantissa, _, exponent = token.lower().partition("e")
    if "." not in mantissa:
        return 0.0
    return 10.0 ** (int(exponent or 0) - len(mantissa.split(".")[1]))


def numbers_agree(expected: str, got: str, rtol: float, atol: float) -> bool:
    """Whether two printed numbers agree: |a - b| <= max(atol, rtol·|a|, a last-digit step)."""
    if expected == got:
        return True
    a, b = float(expected), float(got)
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    step = max(_last_digit(expected), _last_digit(got))
    return abs(a - b) <= max(atol, rtol * abs(a), 1.01 * step)


def compare_outputs(expected: str, got: str, rtol: float, atol: float, loose=()) -> str | None:
    """None when the outputs agree line by line, else a description of the first difference."""
    expected_lines, got_lines = expected.splitlines(), got.splitlines()
    for n, (e_line, g_line) in enumerate(zip(expected_lines, got_lines), 1):
        line_rtol, line_atol = next(
            ((r, a) for pattern, r, a in loose if re.search(pattern, e_line)), (rtol, atol)
        )
        e_texts, e_numbers = _tokens(e_line)
        g_texts, g_numbers = _tokens(g_line)
        same = e_texts == g_texts and len(e_numbers) == len(g_numbers)
        if same:
            same = all(
                numbers_agree(a, b, line_rtol, line_atol)
                for a, b in zip(e_numbers, g_numbers, strict=True)
            )
        if not same:
            return f"line {n} differs:\n  torch:     {e_line}\n  gradiente: {g_line}"
    if len(expected_lines) != len(got_lines):
        return f"torch printed {len(expected_lines)} lines, gradiente {len(got_lines)}"
    return None


# runs a script under torch with the real torchvision importable (see the module)
TORCHVISION_SHIM = pathlib.Path(__file__).parents[1] / "torchvision_shim.py"


def _run(args: list, cwd: pathlib.Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", PYTHONHASHSEED="0")
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env
    )


def _run_both(program: Program, tmp_path: pathlib.Path, prefix: list) -> tuple[str, str]:
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    if program.mnist and not MNIST_DIR.is_dir():
        pytest.skip("../shared/data/mnist is not available")
    script = [*prefix, SCRIPTS / f"{program.name}.py", *program.arguments()]
    for side in ("torch", "gradiente"):
        (tmp_path / side).mkdir()
    hide = ["--hide-torchvision"] if program.mnist else []
    reference = _run([TORCHVISION_SHIM, *hide, *script], tmp_path / "torch")
    assert reference.returncode == 0, f"the script fails under torch:\n{reference.stderr}"
    result = _run(["-m", "gradiente", "run", *script], tmp_path / "gradiente")
    assert result.returncode == 0, f"gradiente run failed:\n{result.stderr}"
    return reference.stdout, result.stdout


def _id(program: Program) -> str:
    return "-".join([program.name, *(a.strip("-{}") for a in program.args if "mnist" not in a)])


@pytest.mark.parametrize("program", PROGRAMS, ids=_id)
def test_program_prints_what_torch_prints(program, tmp_path):
    expected, got = _run_both(program, tmp_path, [])
    difference = compare_outputs(expected, got, program.rtol, program.atol, program.loose)
    assert difference is None, difference


@pytest.mark.parametrize("program", [p for p in PROGRAMS if p.float64], ids=_id)
def test_program_in_float64_agrees_to_the_last_digits(program, tmp_path):
    wrapper = tmp_path / "float64.py"
    wrapper.write_text(FLOAT64_WRAPPER)
    expected, got = _run_both(program, tmp_path, [wrapper])
    difference = compare_outputs(expected, got, rtol=1e-6, atol=1e-9)
    assert difference is None, difference


def test_every_script_is_listed():
    assert sorted(p.stem for p in SCRIPTS.glob("*.py")) == sorted({p.name for p in PROGRAMS})


@pytest.mark.parametrize(
    "expected, got, rtol, atol, agree",
    [
        ("loss: 2.294739  [   64/ 1200]", "loss: 2.294740  [   64/ 1200]", 1e-4, 1e-6, True),
        ("loss: 2.294739", "loss: 2.394739", 1e-4, 1e-6, False),
        ("tensor([0.0586, 2.5000])", "tensor([0.0587, 2.5000])", 1e-6, 0, True),  # last digit
        ("Accuracy: 120/300 (40%)", "Accuracy: 121/300 (40%)", 1e-4, 0, False),  # counts exact
        ("Accuracy: 120/300 (40%)", "Accuracy: 124/300 (41%)", 0.05, 6, True),
        ("torch.Size([2, 3])", "torch.Size([2, 3, 1])", 1e-4, 0, False),
        ("grad_fn=<AddmmBackward0>", "grad_fn=<MmBackward0>", 1e-4, 0, False),
        ("tensor([-0.0000,  1.0000])", "tensor([0.0000, 1.0000])", 1e-4, 0, True),
        ("a\nb", "a", 1e-4, 0, False),
    ],
)
def test_compare_outputs(expected, got, rtol, atol, agree):
    assert (compare_outputs(expected, got, rtol, atol) is None) is agree
