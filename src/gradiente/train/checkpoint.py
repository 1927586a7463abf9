"""Crash-consistent checkpoints and run-folder files: all of one step's files, or none of them.

A checkpoint folder (a run folder of ``gradiente train``, or ``ModelCheckpoint``'s ``dirpath``)::

    checkpoint.json                   the manifest: the current checkpoint directory, its step
                                      (epoch, batch) and the size and sha256 of each of its files
    checkpoint-e3-b0-4f1c9a2b7e0d/    the current checkpoint, named by checkpoint.json
        model.safetensors             the weights
        optimizer.safetensors         the optimizer's state
        trainer_state.json            epoch and batch reached, history, RNG states, scheduler
                                      and callback states
        best.safetensors              (ModelCheckpoint) the best weights so far

**Saving** (``write_checkpoint``) creates a new directory with an unpredictable name, writes
every file into it (each fsynced, then the directory), and only then switches: the new manifest
goes to a temporary file that is renamed onto ``checkpoint.json`` (``os.replace`` is atomic;
this one rename is the moment the checkpoint changes), the folder is fsynced, and the previous
directory (the one the manifest named before) is deleted. Only that one: another process
saving into the same folder at the same time may be writing a directory that no manifest
names yet. A process killed at any instant therefore leaves ``checkpoint.json``
naming a complete directory, the old one or the new one, never a mix. A ``checkpoint-*``
directory the manifest does not name is an unfinished or superseded one; ``clean`` (run when
training starts) removes it, with any leftover temporary file.

**Loading** (``load_checkpoint``, ``checkpoint_path``) first checks the files against the
manifest (size, sha256, and the step in ``trainer_state.json``) and refuses a damaged or mixed
set with a one-line ``CheckpointError`` naming the file; nothing is loaded from it. A folder of
the earlier layout (the three files directly in the folder, no manifest) still loads, without
that check.

**Other files** of a run folder (``config.json``, ``history.csv``, ...) are written by
``write_files``: to a temporary file beside the target, then renamed over it. Every file is
created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` under a random name (``secrets``), and every new
directory with ``mkdir`` (which fails on anything already there), so no write ever follows a
symbolic link planted at a predictable path; a rename replaces a link at the destination
instead of writing through it. (``tempfile.mkstemp`` does the same but makes files readable by
their owner only; these keep the permissions the umask gives.)

**Fault injection**, for the tests: with ``GRADIENTE_FAULT_POINT=<name>:<n>`` in the
environment, the process kills itself with SIGKILL the n-th time it reaches the point
``<name>``: ``batch`` (after each optimizer step, in ``fit``), ``before-write:<file>``,
``mid-write:<file>`` (half of the bytes written) and ``after-write:<file>`` (for each file of a
checkpoint and each file of ``write_files``, e.g. ``mid-write:optimizer.safetensors``), and
``before-switch``/``after-switch`` (just before the manifest's rename, just after it, before the
previous directory is deleted). See ``tests/train/test_faults.py``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import math
import os
import pathlib
import re
import secrets
import shutil
import signal
from collections.abc import Callable

from gradiente import serialization
from gradiente.random import get_rng_state
from gradiente.serialization import _fsync_directory
from gradiente.train.worker_state import global_states_problem, workers_state_problem

MANIFEST = "checkpoint.json"
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "trainer_state.json"
DIRECTORY_PREFIX = "checkpoint-"
MANIFEST_FORMAT = 1
STATE_FORMAT = 1  # the format of trainer_state.json (``Trainer.state_dict``)

_DIRECTORY_NAME = re.compile(r"checkpoint-e\d+-b\d+-[0-9a-f]{12}")
_TEMPORARY_NAME = re.compile(r"\..+\.[0-9a-f]{12}\.tmp")
_OPEN_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_OPEN_NEW |= getattr(os, "O_BINARY", 0)


# A checkpoint that cannot be trusted (damaged, mixed or missing files, or weights that do not
# fit the model); the message is one line naming the file. One class with gradiente.load's.
CheckpointError = serialization.CheckpointError


# --- fault injection (tests) -----------------------------------------------------------------

_fault_counts: dict[str, int] = {}


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL if ``GRADIENTE_FAULT_POINT`` is ``name:n`` and this is the
    n-th time ``name`` is reached (a test-only hook; see the module's docstring); with
    ``GRADIENTE_FAULT_RANK=r``, only in rank r of an MPI job; with
    ``GRADIENTE_FAULT_SIGNAL=TERM`` (or ``INT``), send that signal instead."""
    spec = os.environ.get("GRADIENTE_FAULT_POINT")
    if not spec:
        return
    only = os.environ.get("GRADIENTE_FAULT_RANK")  # under mpiexec: kill this rank only
    if only is not None and only != os.environ.get("PMI_RANK", os.environ.get("RANK", "0")):
        return
    target, _, count = spec.rpartition(":")
    if target != name:
        return
    _fault_counts[name] = _fault_counts.get(name, 0) + 1
    if str(_fault_counts[name]) == count.strip():
        # GRADIENTE_FAULT_SIGNAL=TERM (or INT) sends that signal instead: a stop to be handled
        chosen = os.environ.get("GRADIENTE_FAULT_SIGNAL", "KILL")
        os.kill(os.getpid(), getattr(signal, f"SIG{chosen}", signal.SIGTERM))


# --- JSON: always valid, non-finite numbers included -------------------------------------------


def _without_nan(obj, lossless: bool):
    """``obj`` with every NaN or ±inf float replaced: by ``{"__float__": "inf"}`` when
    ``lossless`` (read back by ``read_json``), else by None (JSON's null)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)} if lossless else None
    if isinstance(obj, dict):
        return {k: _without_nan(v, lossless) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_without_nan(v, lossless) for v in obj]
    return obj


def json_bytes(obj, *, lossless: bool = False, indent: int | None = 2) -> bytes:
    """``obj`` as strict JSON (no ``NaN``/``Infinity``, which JSON does not have): non-finite
    floats become null, or tagged ``{"__float__": "nan"}`` objects with ``lossless``."""
    text = json.dumps(_without_nan(obj, lossless), indent=indent, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _tagged_float(node: dict):
    if node.keys() == {"__float__"} and node["__float__"] in ("nan", "inf", "-inf"):
        return float(node["__float__"])
    return node


def read_json(path: str | os.PathLike):
    """The JSON object stored at ``path`` (tagged non-finite floats read back as floats)."""
    text = pathlib.Path(path).read_text(encoding="utf-8")
    return json.loads(text, object_hook=_tagged_float)


# --- creating files and directories safely ------------------------------------------------


def _write_new(
    path: pathlib.Path, data: bytes, label: str | None = None, shown: pathlib.Path | None = None
) -> None:
    """Create ``path`` (it must not exist, not even as a link), write ``data``, fsync.

    ``label`` names the file at the fault points (default: its name); ``shown`` is the path
    that error messages name (default ``path``; the target, for a temporary file).
    """
    label = label or path.name
    shown = shown or path
    fault_point(f"before-write:{label}")
    try:
        fd = os.open(path, _OPEN_NEW, 0o666)  # 0o666: the umask decides, as for any new file
    except FileExistsError:
        raise
    except OSError as error:  # a missing or read-only folder: named by the file the user knows
        raise OSError(error.errno, f"cannot write {shown}: {error.strerror}") from error
    try:  # a full disk fails in write or fsync, whose errors name no file: this one is named
        try:
            with os.fdopen(fd, "wb") as f:
                half = len(data) // 2
                f.write(data[:half])
                f.flush()
                fault_point(f"mid-write:{label}")
                f.write(data[half:])
                f.flush()
                os.fsync(f.fileno())
        except OSError as error:
            if error.filename is not None:
                raise
            raise OSError(error.errno, f"cannot write {shown}: {error.strerror}") from error
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    fault_point(f"after-write:{label}")


def _write_temporary(target: pathlib.Path, data: bytes) -> pathlib.Path:
    """Write ``data`` to a new file beside ``target`` with an unpredictable name; its path."""
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            _write_new(tmp, data, label=target.name, shown=target)
        except FileExistsError:
            continue  # 2**48 names: only an attacker makes this loop run twice
        return tmp


def write_files(writers: dict[str | os.PathLike, Callable[[io.BufferedIOBase], None]]) -> None:
    """Write several files all-or-nothing: each ``writer(f)`` writes its file's bytes to the
    binary file object ``f``; only when all succeeded are the files renamed onto their paths."""
    staged: list[tuple[pathlib.Path, pathlib.Path]] = []
    try:
        for path, writer in writers.items():
            path = pathlib.Path(path)
            buffer = io.BytesIO()
            writer(buffer)
            staged.append((_write_temporary(path, buffer.getvalue()), path))
        for tmp, path in staged:
            try:
                os.replace(tmp, path)  # replaces a link at ``path``, never writes through it
            except OSError as error:  # a folder in the way: named without the temporary file
                raise OSError(error.errno, f"cannot replace {path}: {error.strerror}") from error
        for directory in {path.parent for _, path in staged}:
            _fsync_directory(directory)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    data = text.encode("utf-8")
    write_files({path: lambda f: f.write(data)})


def write_json(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as indented strict JSON to ``path`` atomically (non-finite floats: null)."""
    data = json_bytes(obj)
    write_files({path: lambda f: f.write(data)})


def _new_directory(parent: pathlib.Path, prefix: str) -> pathlib.Path:
    """Create a new, empty directory ``parent/<prefix><random>``."""
    while True:
        path = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            os.mkdir(path, 0o777)  # fails if anything (a link included) has that name
        except FileExistsError:
            continue
        return path


@contextlib.contextmanager
def folder_lock(dirpath: str | os.PathLike):
    """Hold the exclusive lock of the folder ``dirpath`` while the ``with`` block runs, so that
    two processes never write checkpoints into one folder (each would delete the other's
    directories as unfinished ones). The lock is ``flock`` on the folder itself: no lock file to
    leave behind, and the system releases it when the process ends in any way, SIGKILL
    included. Raises ``BlockingIOError`` when another process holds it; where the system has no
    ``flock`` (Windows) nothing is locked."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(dirpath, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)  # releases the lock


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the manifest -----------------------------------------------------------------------------


def read_manifest(dirpath: str | os.PathLike) -> dict | None:
    """The manifest of the checkpoint folder ``dirpath``, or None if it has none.

    Raises ``CheckpointError`` when the manifest is unreadable or names a directory that is not
    a ``checkpoint-*`` directory inside ``dirpath``.
    """
    path = pathlib.Path(dirpath) / MANIFEST
    if not os.path.lexists(path):
        return None
    try:
        manifest = read_json(path)
        directory, files = manifest["directory"], manifest["files"]
        epoch, batch = int(manifest["epoch"]), int(manifest["batch"])
        ok = manifest["format"] == MANIFEST_FORMAT and isinstance(files, dict)
        ok = ok and all(isinstance(entry, dict) for entry in files.values())  # {bytes, sha256}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{path}: unreadable checkpoint manifest ({error})") from None
    if not ok or not isinstance(directory, str) or not _DIRECTORY_NAME.fullmatch(directory):
        raise CheckpointError(f"{path}: not a gradiente checkpoint manifest")
    manifest["epoch"], manifest["batch"] = epoch, batch
    return manifest


def has_checkpoint(dirpath: str | os.PathLike) -> bool:
    """Whether ``dirpath`` holds a checkpoint (a manifest, or the earlier layout's state file)."""
    dirpath = pathlib.Path(dirpath)
    return os.path.lexists(dirpath / MANIFEST) or os.path.lexists(dirpath / STATE_FILE)


def _verified_bytes(dirpath: pathlib.Path, manifest: dict, name: str) -> bytes:
    """The bytes of file ``name`` of the current checkpoint, checked against the manifest."""
    path = dirpath / manifest["directory"] / name
    entry = manifest["files"].get(name)
    if entry is None:
        raise CheckpointError(f"{path}: not part of the checkpoint ({dirpath / MANIFEST})")
    if not path.is_file() or path.is_symlink() or path.parent.is_symlink():
        raise CheckpointError(f"{path}: missing (the checkpoint {dirpath / MANIFEST} names it)")
    data = path.read_bytes()
    if len(data) != entry.get("bytes") or _sha256(data) != entry.get("sha256"):
        raise CheckpointError(
            f"{path}: does not match the checkpoint manifest {dirpath / MANIFEST} (size or "
            "sha256 differs): the checkpoint is damaged or mixes files of different steps"
        )
    return data


def checkpoint_path(
    dirpath: str | os.PathLike, name: str = MODEL_FILE, verify: bool = True
) -> pathlib.Path | None:
    """The path of file ``name`` (e.g. ``best.safetensors``) of the current checkpoint of
    ``dirpath``, checked against the manifest unless ``verify=False``; None if there is none."""
    dirpath = pathlib.Path(dirpath)
    manifest = read_manifest(dirpath)
    if manifest is None:  # the earlier layout: the files directly in the folder
        path = dirpath / name
        return path if path.is_file() else None
    if name not in manifest["files"]:
        return None
    if verify:
        _verified_bytes(dirpath, manifest, name)
    return dirpath / manifest["directory"] / name


# --- saving -----------------------------------------------------------------------------------


def write_checkpoint(
    dirpath: str | os.PathLike,
    files: dict[str, bytes | pathlib.Path],
    epoch: int,
    batch: int,
) -> pathlib.Path:
    """Make ``files`` the current checkpoint of ``dirpath``, all at once; the new directory.

    ``files`` maps file names to their bytes, or to the path of an existing file to carry over
    unchanged (hard-linked, or copied where links are not possible). ``epoch`` and ``batch``
    (the step reached) go into the manifest.
    """
    dirpath = pathlib.Path(dirpath)
    dirpath.mkdir(parents=True, exist_ok=True)
    previous = _current_directory(dirpath)
    new = _new_directory(dirpath, f"{DIRECTORY_PREFIX}e{epoch}-b{batch}-")
    entries = {}
    try:
        for name, content in files.items():
            if isinstance(content, bytes):
                _write_new(new / name, content)
                data = content
            else:
                data = _carry(pathlib.Path(content), new / name)
            entries[name] = {"bytes": len(data), "sha256": _sha256(data)}
        _fsync_directory(new)
        manifest = {
            "format": MANIFEST_FORMAT,
            "directory": new.name,
            "epoch": epoch,
            "batch": batch,
            "files": entries,
        }
        fault_point("before-switch")
        write_files({dirpath / MANIFEST: lambda f: f.write(json_bytes(manifest))})
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    fault_point("after-switch")
    if previous is not None and previous != new.name:
        _remove_entry(dirpath / previous)
    return new


def _current_directory(dirpath: pathlib.Path) -> str | None:
    """The name of the checkpoint directory the manifest of ``dirpath`` names (None: none, or
    a damaged manifest, whose directory is then kept)."""
    try:
        manifest = read_manifest(dirpath)
    except CheckpointError:
        return None
    return manifest["directory"] if manifest else None


def _remove_entry(path: pathlib.Path) -> None:
    """Remove a directory (a link: the link itself, never what it points to)."""
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _carry(source: pathlib.Path, target: pathlib.Path) -> bytes:
    """Put the file ``source`` at ``target`` (a hard link, else a copy); its bytes."""
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        _write_new(target, source.read_bytes())
    return target.read_bytes()


def safetensors_bytes(obj) -> bytes:
    """``obj`` saved by ``gradiente.save`` in safetensors format, as bytes."""
    buffer = io.BytesIO()
    serialization.save(obj, buffer)
    return buffer.getvalue()


def save_checkpoint(
    dirpath: str | os.PathLike,
    model,
    optimizer,
    trainer_state: dict,
    extra: dict[str, bytes | pathlib.Path] | None = None,
) -> pathlib.Path:
    """Save model weights, optimizer state and ``trainer_state`` into ``dirpath`` as one
    checkpoint (see the module's docstring); the checkpoint's directory.

    ``extra`` adds more files to the same checkpoint (see ``write_checkpoint``).
    """
    files: dict[str, bytes | pathlib.Path] = {
        MODEL_FILE: safetensors_bytes(model.state_dict()),
        OPTIMIZER_FILE: safetensors_bytes(optimizer.state_dict()),
    }
    files.update(extra or {})
    files[STATE_FILE] = json_bytes(trainer_state, lossless=True, indent=1)
    return write_checkpoint(
        dirpath, files, int(trainer_state.get("epoch", 0)), int(trainer_state.get("batch", 0))
    )


def clean(dirpath: str | os.PathLike) -> None:
    """Remove what an interrupted save left in ``dirpath``: ``checkpoint-*`` directories the
    manifest does not name and leftover temporary files. Links are removed, never followed;
    with a damaged manifest no directory is removed."""
    dirpath = pathlib.Path(dirpath)
    if not dirpath.is_dir():
        return
    try:
        manifest = read_manifest(dirpath)
        current = manifest["directory"] if manifest else None
        keep_directories = False
    except CheckpointError:
        current, keep_directories = None, True
    for entry in os.scandir(dirpath):
        temporary = _TEMPORARY_NAME.fullmatch(entry.name)
        directory = _DIRECTORY_NAME.fullmatch(entry.name)
        if (entry.is_symlink() and (temporary or directory)) or (
            temporary and entry.is_file(follow_symlinks=False)
        ):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)  # a link is removed, never followed
        elif directory and entry.name != current and not keep_directories:
            shutil.rmtree(entry.path, ignore_errors=True)  # a real directory (not a link)


# --- loading ----------------------------------------------------------------------------------


def load_checkpoint(dirpath: str | os.PathLike, model, optimizer=None) -> dict:
    """Load the weights (and optimizer state) of the checkpoint in ``dirpath``; return its
    trainer state. Every file is checked against the manifest before anything is loaded: a
    damaged or mixed checkpoint raises ``CheckpointError`` and leaves model and optimizer as
    they were."""
    dirpath = pathlib.Path(dirpath)
    manifest = read_manifest(dirpath)
    if manifest is None:
        return _load_earlier_layout(dirpath, model, optimizer)
    names = [MODEL_FILE, STATE_FILE] + ([OPTIMIZER_FILE] if optimizer is not None else [])
    missing = [n for n in names if n not in manifest["files"]]
    if missing:
        raise CheckpointError(
            f"{dirpath / MANIFEST}: the checkpoint has no {', '.join(missing)} (saved without "
            "the last state?): it cannot be resumed"
        )
    # every file is checked, the ones not loaded here too (best.safetensors): a later save
    # carries them over, and must not carry damage along
    data = {name: _verified_bytes(dirpath, manifest, name) for name in manifest["files"]}
    state_path = dirpath / manifest["directory"] / STATE_FILE
    try:
        state = json.loads(data[STATE_FILE], object_hook=_tagged_float)
        step = (int(state["epoch"]), int(state["batch"]))
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{state_path}: unreadable trainer state ({error})") from None
    if step != (manifest["epoch"], manifest["batch"]):
        raise CheckpointError(
            f"{state_path}: at epoch {step[0]}, batch {step[1]}, but the manifest says epoch "
            f"{manifest['epoch']}, batch {manifest['batch']}: the checkpoint is mixed"
        )
    model_state = serialization.load(_named(data[MODEL_FILE], state_path.with_name(MODEL_FILE)))
    check_finite_weights(model_state, state_path.with_name(MODEL_FILE))
    optimizer_state = None
    if optimizer is not None:
        path = state_path.with_name(OPTIMIZER_FILE)
        optimizer_state = serialization.load(_named(data[OPTIMIZER_FILE], path))
        check_finite_weights(optimizer_state, path)
    for name in manifest["files"].keys() - {MODEL_FILE, OPTIMIZER_FILE}:
        if name.endswith(".safetensors"):  # best.safetensors: carried into later checkpoints
            path = state_path.with_name(name)
            check_finite_weights(serialization.load(_named(data[name], path)), path)
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    _load_state(model, model_state, state_path.with_name(MODEL_FILE), "model")
    if optimizer is not None:
        try:
            _load_state(
                optimizer, optimizer_state, state_path.with_name(OPTIMIZER_FILE), "optimizer"
            )
        except CheckpointError:
            model.load_state_dict(before)  # all or nothing: the model goes back too
            raise
    return state


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _rng_problem(rng, key: str) -> str | None:
    """What is wrong with the saved RNG states ``rng`` (``{"global": ..., "loader": [...]}``,
    each a generator's state in base64, of the size ``get_rng_state`` gives)."""
    if not isinstance(rng, dict) or not isinstance(rng.get("loader"), list):
        return f"{key!r} is not an object with the 'global' and 'loader' random states"
    current = get_rng_state()  # uint8 values, as a Tensor or an array
    size = (current.numpy() if hasattr(current, "numpy") else current).size
    for state in [rng.get("global"), *rng["loader"]]:
        try:
            ok = len(base64.b64decode(state, validate=True)) == size
        except (TypeError, ValueError):
            ok = False
        if not ok:
            return f"{key!r} holds a random state that is not {size} bytes in base64"
    problem = global_states_problem(rng) or workers_state_problem(rng.get("workers"))
    return f"{key!r}: {problem}" if problem else None


def trainer_state_problem(state) -> str | None:
    """What makes ``state`` unusable by ``Trainer.load_state_dict`` (None if nothing): its keys
    and their types. A checkpoint written by another program, or edited along with its
    manifest, passes the sha256 check; this one still refuses it before anything loads."""
    if not isinstance(state, dict):
        return "not a JSON object"
    if state.get("format") != STATE_FORMAT:
        return f"format {json.dumps(state.get('format'))[:20]}, not {STATE_FORMAT}"
    if not (_is_count(state.get("epoch")) and _is_count(state.get("batch"))):
        return "'epoch' and 'batch' are not counts"
    history = state.get("history")
    if not (
        isinstance(history, dict)
        and isinstance(history.get("rows"), list)
        and all(isinstance(row, dict) for row in history["rows"])
    ):
        return "'history' is not an object with a list of rows"
    if not isinstance(state.get("running"), dict):
        return "'running' is not an object"
    callbacks = state.get("callbacks")
    if not (isinstance(callbacks, dict) and all(isinstance(c, dict) for c in callbacks.values())):
        return "'callbacks' is not an object of objects"
    problem = _rng_problem(state.get("rng"), "rng")
    if problem is None and state.get("epoch_rng") is not None:
        problem = _rng_problem(state["epoch_rng"], "epoch_rng")
    return problem


def check_trainer_state(dirpath: str | os.PathLike, state) -> None:
    """Raise ``CheckpointError`` naming the file when the trainer state ``state``, loaded from
    the checkpoint of ``dirpath``, cannot be resumed by ``fit`` (``trainer_state_problem``)."""
    problem = trainer_state_problem(state)
    if problem is not None:
        path = checkpoint_path(dirpath, STATE_FILE, verify=False) or pathlib.Path(dirpath)
        raise CheckpointError(f"{path}: not a trainer state of gradiente: {problem}")


def check_finite_weights(state: dict, path: str | os.PathLike) -> None:
    """Raise ``CheckpointError`` naming ``path`` and the entry when a floating-point tensor of
    the weights (or optimizer state) ``state`` holds a NaN or an infinity. Training never saves
    such weights (see ``ModelCheckpoint``), so they come from a damaged or forged file:
    evaluating them would print a meaningless accuracy, and resuming them would report a
    divergence that never happened."""
    for key, value in _tensors(state):
        if value.dtype.is_floating_point and not bool(value.isfinite().all()):
            raise CheckpointError(
                f"{path}: {key!r} holds NaN or infinite values (a checkpoint of gradiente "
                "train never does): the file is damaged or not from this run"
            )


def _tensors(obj, key: str = ""):
    """The (dotted key, tensor) pairs of a state dict, nested ones (an optimizer's) included."""
    if hasattr(obj, "isfinite") and hasattr(obj, "dtype"):
        yield key, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _tensors(v, f"{key}.{k}" if key else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _tensors(v, f"{key}.{i}" if key else str(i))


def check_optimizer_shapes(optimizer, dirpath: str | os.PathLike) -> None:
    """Raise ``CheckpointError`` naming the optimizer file of the checkpoint of ``dirpath``
    when a per-parameter tensor of ``optimizer``'s loaded state (a momentum buffer, Adam's
    moments) has another shape than its parameter: a mixed or forged file, which would fail in
    the middle of the first step instead. For optimizers whose state has the shapes of the
    parameters (all of ``gradiente train``'s; not a factored one such as Adafactor)."""
    for group in optimizer.param_groups:
        for param in group["params"]:
            for key, value in optimizer.state.get(param, {}).items():
                shape = tuple(getattr(value, "shape", ()))
                if shape and shape != tuple(param.shape):
                    path = checkpoint_path(dirpath, OPTIMIZER_FILE, verify=False) or dirpath
                    raise CheckpointError(
                        f"{path}: does not fit this run's optimizer: a {key!r} of shape "
                        f"{shape} for a parameter of shape {tuple(param.shape)}"
                    )


def _load_state(target, state: dict, path: pathlib.Path, what: str) -> None:
    """``target.load_state_dict(state)``, an error naming the file that does not fit."""
    try:
        target.load_state_dict(state)
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as error:
        detail = " ".join(str(error).split())
        if isinstance(error, KeyError):  # str(KeyError('state')) is the bare "'state'"
            detail = f"it has no entry {detail}"
        raise CheckpointError(f"{path}: does not fit this run's {what}: {detail}") from None


def _named(data: bytes, path: pathlib.Path) -> io.BytesIO:
    """``data`` as a file object whose ``name`` is ``path`` (for error messages)."""
    f = io.BytesIO(data)
    f.name = str(path)
    return f


def _load_earlier_layout(dirpath: pathlib.Path, model, optimizer) -> dict:
    """A folder written before manifests existed: the files directly in it, unchecked."""
    missing = [n for n in (MODEL_FILE, STATE_FILE) if not (dirpath / n).is_file()]
    if optimizer is not None and not (dirpath / OPTIMIZER_FILE).is_file():
        missing.append(OPTIMIZER_FILE)
    if missing:
        raise FileNotFoundError(f"{dirpath} is not a checkpoint folder: no {', '.join(missing)}")
    model.load_state_dict(serialization.load(dirpath / MODEL_FILE))
    if optimizer is not None:
        optimizer.load_state_dict(serialization.load(dirpath / OPTIMIZER_FILE))
    return read_json(dirpath / STATE_FILE)
