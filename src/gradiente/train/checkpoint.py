"""Checkpoint files: atomic writes, and the resumable training state of a run folder.

A checkpoint folder holds ``model.safetensors`` (the weights), ``optimizer.safetensors`` (the
optimizer's state) and ``trainer_state.json`` (epoch and batch reached, history, RNG states,
scheduler and callback states). Every file is written to a temporary name beside it and renamed
into place (``os.replace`` is atomic), so an error or Ctrl-C never leaves a half-written file;
the files of one checkpoint are renamed together, after all of them are complete.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Callable

from gradiente import serialization

MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "trainer_state.json"


def _temporary(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


def write_files(writers: dict[str | os.PathLike, Callable[[pathlib.Path], None]]) -> None:
    """Write several files all-or-nothing: each ``writer(tmp_path)`` fills a temporary file, and
    only when all succeeded are they renamed onto their final paths."""
    staged = []
    try:
        for path, writer in writers.items():
            path = pathlib.Path(path)
            tmp = _temporary(path)
            staged.append((tmp, path))
            writer(tmp)
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            if tmp.exists():
                tmp.unlink()


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    write_files({path: lambda tmp: tmp.write_text(text, encoding="utf-8")})


def write_json(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(obj, indent=2) + "\n")


def read_json(path: str | os.PathLike):
    """The JSON object stored at ``path``."""
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def save_checkpoint(
    dirpath: str | os.PathLike, model, optimizer, trainer_state: dict, extra: dict | None = None
) -> None:
    """Save model weights, optimizer state and ``trainer_state`` into ``dirpath`` together.

    ``extra`` maps more file names (in ``dirpath``) to writers ``writer(tmp_path)``, renamed in
    the same group.
    """
    dirpath = pathlib.Path(dirpath)
    dirpath.mkdir(parents=True, exist_ok=True)
    text = json.dumps(trainer_state, indent=1) + "\n"
    writers = {
        dirpath / MODEL_FILE: lambda tmp: serialization.save(model.state_dict(), tmp),
        dirpath / OPTIMIZER_FILE: lambda tmp: serialization.save(optimizer.state_dict(), tmp),
    }
    for name, writer in (extra or {}).items():
        writers[dirpath / name] = writer
    # the state file goes last: a folder whose state file exists holds a complete checkpoint
    writers[dirpath / STATE_FILE] = lambda tmp: tmp.write_text(text, encoding="utf-8")
    write_files(writers)


def load_checkpoint(dirpath: str | os.PathLike, model, optimizer=None) -> dict:
    """Load the weights (and optimizer state) saved in ``dirpath``; return its trainer state."""
    dirpath = pathlib.Path(dirpath)
    missing = [n for n in (MODEL_FILE, STATE_FILE) if not (dirpath / n).is_file()]
    if optimizer is not None and not (dirpath / OPTIMIZER_FILE).is_file():
        missing.append(OPTIMIZER_FILE)
    if missing:
        raise FileNotFoundError(f"{dirpath} is not a checkpoint folder: no {', '.join(missing)}")
    model.load_state_dict(serialization.load(dirpath / MODEL_FILE))
    if optimizer is not None:
        optimizer.load_state_dict(serialization.load(dirpath / OPTIMIZER_FILE))
    return read_json(dirpath / STATE_FILE)
