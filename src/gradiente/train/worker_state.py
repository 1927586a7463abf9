"""The random states beyond gradiente's own generators that a resumed run needs back to
continue bit for bit: Python's ``random`` and NumPy's global generator (a dataset's
augmentations may draw from them) and those of a ``DataLoader``'s persistent workers.

With ``persistent_workers=True`` a loader's workers (simulated in this process, see
``gradiente.data.loader``) are seeded once, when the first epoch starts, and keep their random
state from epoch to epoch: later epochs draw no new seed. A run resumed in a new process has a
new loader whose workers have not started: its first epoch would draw a seed, which shifts the
shuffle that follows, and its workers would start from new random states. So the trainer saves
what the workers hold (their base seed and three random states each: gradiente's generator,
Python's ``random`` and NumPy's) with its own RNG states, and puts them back before the loader
starts the resumed epoch. A loader without persistent workers has nothing of this kind.

Every state is stored as JSON (bytes in base64) and checked before anything loads: a trainer
state edited along with its manifest is refused with one line (``trainer_state_problem``).
"""

from __future__ import annotations

import base64
import random

from gradiente.backend import xp
from gradiente.data.loader import _Workers
from gradiente.random import Generator

NOT_PERSISTENT = object()  # what ``workers_state`` returns for a loader that keeps no workers


def _persistent(loader) -> bool:
    return bool(getattr(loader, "persistent_workers", False)) and (
        getattr(loader, "num_workers", 0) > 0
    )


def _b64(array, dtype: str) -> str:
    return base64.b64encode(xp.asarray(array).astype(dtype).tobytes()).decode("ascii")


def workers_state(loader):
    """The state of ``loader``'s persistent workers as JSON-ready data: a list with one entry
    per worker, None before the first epoch started them, ``NOT_PERSISTENT`` for a loader
    without persistent workers."""
    if not _persistent(loader):
        return NOT_PERSISTENT
    workers = getattr(loader, "_workers", None)
    if workers is None:
        return None
    saved = []
    for info, state, py_state, np_state in workers.states:
        gen = state.numpy() if hasattr(state, "numpy") else state
        saved.append(
            {
                "seed": int(info.seed),
                "rng": _b64(gen, "uint8"),
                "python": python_state_json(py_state),
                "numpy": numpy_state_json(np_state),
            }
        )
    return saved


def python_state_json(state) -> list:
    """``random.getstate()`` as JSON-ready data."""
    return [state[0], list(state[1]), state[2]]


def numpy_state_json(state) -> list:
    """NumPy's ``random.get_state()`` (a Mersenne Twister's) as JSON-ready data."""
    return [state[0], _b64(state[1], "<u4"), *map(_plain, state[2:])]


def python_state(saved: list) -> tuple:
    """The ``random.setstate`` argument that ``python_state_json`` describes (checked)."""
    version, words, gauss = saved
    state = (version, tuple(words), gauss)
    random.Random().setstate(state)  # refuses a malformed state here, not mid-epoch
    return state


def numpy_state(saved: list) -> tuple:
    """The NumPy ``random.set_state`` argument that ``numpy_state_json`` describes (checked)."""
    keys = xp.frombuffer(base64.b64decode(saved[1]), dtype="<u4").astype(xp.uint32)
    state = (saved[0], keys, *saved[2:])
    xp.random.RandomState().set_state(state)
    return state


def _plain(value):
    """A NumPy scalar as the Python number JSON can hold."""
    return value.item() if hasattr(value, "item") else value


def set_workers_state(loader, saved) -> None:
    """Give ``loader`` the persistent workers that ``workers_state`` described (None: no worker
    started yet, so the next epoch seeds them as the saved run's first epoch did)."""
    if not _persistent(loader):
        return
    if saved is None:
        loader._workers = None
        return
    if len(saved) != loader.num_workers:
        raise ValueError(
            f"the checkpoint has {len(saved)} loader workers, the loader {loader.num_workers}: "
            "resume with the loader the run was started with"
        )
    workers = _Workers(loader, saved[0]["seed"])  # worker_init_fn runs, as in new processes
    for entry, state in zip(saved, workers.states, strict=True):
        rng = xp.frombuffer(base64.b64decode(entry["rng"]), dtype=xp.uint8).copy()
        state[1:] = [
            Generator().set_state(rng).get_state(),  # checks the size, as set_rng_state does
            python_state(entry["python"]),
            numpy_state(entry["numpy"]),
        ]
    loader._workers = workers


def workers_state_problem(saved) -> str | None:
    """What makes ``saved`` (a trainer state's ``"workers"`` entry) unusable, or None."""
    if saved is None:
        return None
    if not isinstance(saved, list) or not saved:
        return "'workers' is not a list of loader workers"
    for entry in saved:
        ok = isinstance(entry, dict) and isinstance(entry.get("seed"), int)
        ok = ok and isinstance(entry.get("rng"), str) and _generator_state_ok(entry["rng"])
        ok = ok and _python_numpy_problem(entry.get("python"), entry.get("numpy")) is None
        if not ok:
            return "'workers' holds a loader worker state that is not seed, rng, python, numpy"
    return None


def _generator_state_ok(text: str) -> bool:
    """Whether ``text`` is a gradiente generator's state in base64."""
    try:
        Generator().set_state(xp.frombuffer(base64.b64decode(text, validate=True), xp.uint8))
    except (ValueError, TypeError, RuntimeError):
        return False
    return True


def _python_numpy_problem(python, numpy) -> str | None:
    """What is wrong with saved states of Python's ``random`` and NumPy's generator, if
    anything (their shape; the values are checked when they are set)."""
    ok = isinstance(python, list) and len(python) == 3 and isinstance(python[1], list)
    ok = ok and all(isinstance(w, int) for w in python[1])
    ok = ok and (python[2] is None or isinstance(python[2], float))
    ok = ok and isinstance(numpy, list) and len(numpy) == 5 and isinstance(numpy[1], str)
    if ok:
        try:  # the values too: a state that sets here sets when the epoch starts
            python_state(python)
            numpy_state(numpy)
        except (ValueError, TypeError, OverflowError, IndexError):  # binascii.Error: ValueError
            ok = False
    return None if ok else "a 'python' or 'numpy' random state of the wrong shape"


def global_states_problem(rng: dict) -> str | None:
    """What is wrong with the ``"python"`` and ``"numpy"`` states of a trainer's saved
    ``rng`` (absent in checkpoints written before they were saved), or None."""
    if "python" not in rng and "numpy" not in rng:
        return None
    return _python_numpy_problem(rng.get("python"), rng.get("numpy"))
