"""Faults of the library's file writing (sixth hunt): ``gradiente.save`` and the checkpoints.

Each test is a case that once failed: ``gradiente.save`` to a full disk raised a bare
``[Errno 27] File too large`` naming no file, and to a missing folder or over a folder it named
its temporary file (``.model.pt.4f1c9a2b7e0d.tmp``) instead of the path the caller gave. The
previous file must survive each failure, SIGKILL mid-write included, and no temporary file may
be left by an error.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import signal
import subprocess
import sys

import pytest

import gradiente


def _no_temporary(folder) -> None:
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


def test_save_to_a_missing_folder_names_the_path(tmp_path):
    target = tmp_path / "missing" / "model.pt"
    with pytest.raises(FileNotFoundError, match=f"cannot write {target}: No such file") as info:
        gradiente.save({"w": gradiente.ones(3)}, target)
    assert ".tmp" not in str(info.value)


def test_save_over_a_folder_names_the_path_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.pt"
    target.mkdir()
    with pytest.raises(IsADirectoryError, match=f"cannot write {target}: Is a directory"):
        gradiente.save({"w": gradiente.ones(3)}, target)
    _no_temporary(tmp_path)


_SAVE_ON_A_FULL_DISK = """
import resource, sys
import gradiente
gradiente.save({"w": gradiente.arange(10.0)}, sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))  # the next save does not fit
try:
    gradiente.save({"w": gradiente.zeros(100_000)}, sys.argv[1])
except OSError as error:
    print(type(error).__name__, error)
"""

_KILLED_MID_SAVE = """
import os, signal, sys
import gradiente
from gradiente import serialization

def write_half_then_die(f, data):
    f.write(data[: len(data) // 2])
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)

serialization._write_bytes = write_half_then_die
gradiente.save({"w": gradiente.zeros(1000)}, sys.argv[1])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE and SIGKILL are POSIX")
def test_a_full_disk_or_a_kill_mid_save_keeps_the_previous_file(tmp_path):
    target = tmp_path / "model.pt"
    result = subprocess.run(
        [sys.executable, "-c", _SAVE_ON_A_FULL_DISK, str(target)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"OSError [Errno 27] cannot write {target}: File too large"
    _no_temporary(tmp_path)
    assert gradiente.load(target)["w"].tolist() == list(range(10))

    result = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_SAVE, str(target)], capture_output=True, timeout=600
    )
    assert result.returncode == -signal.SIGKILL
    assert gradiente.load(target)["w"].tolist() == list(range(10))  # the old file, whole
