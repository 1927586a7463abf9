"""``gradiente lecture``, a subcommand of the parser like the others (cli/lecture.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gradiente import lecture
from gradiente.cli import build_parser, cmd_lecture, main


def test_lecture_is_parsed_with_the_lectures_defaults():
    args = build_parser().parse_args(["lecture"])
    assert args.handler is cmd_lecture
    assert args.out == lecture.DEFAULT_OUT and args.only is None and not args.list


def test_only_takes_several_sections_and_debug_after_the_command():
    args = build_parser().parse_args(["lecture", "--only", "gd", "adam", "--debug"])
    assert args.only == ["gd", "adam"] and args.debug


def test_an_unknown_section_is_a_usage_error_listing_the_sections(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["lecture", "--only", "nope"])
    assert exit_info.value.code == 2
    names = ", ".join(repr(s.NAME) for s in lecture.SECTIONS)
    assert f"invalid choice: 'nope' (choose from {names})" in capsys.readouterr().err


def test_a_failing_lecture_is_one_line_on_stderr(tmp_path, capsys):
    taken = tmp_path / "a-file"
    taken.write_text("not a folder")
    assert main(["lecture", "--only", "autograd", "--out", str(taken)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gradiente lecture: error: ") and len(err.splitlines()) == 1
    assert str(taken) in err


def test_other_commands_do_not_import_the_lecture():
    """The lecture (and matplotlib) load only for ``gradiente lecture``."""
    code = (
        "import sys; from gradiente.cli import build_parser; "
        "build_parser().parse_args(['train', '--epochs', '2']); "
        "print('gradiente.lecture' in sys.modules, 'matplotlib' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
