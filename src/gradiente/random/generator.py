"""torch's CPU generator: the MT19937 state, its seeding, its bytes, and the default generator.

A ``Generator`` owns a Mersenne Twister (NumPy's ``MT19937`` bit generator produces the words,
vectorised) plus what torch keeps beside it: the seed, and one cached standard normal. Its
state serialises to exactly the 5056 bytes of ``torch.get_rng_state()``. The samplers in
``gradiente.random`` read words through ``_random`` / ``_random64`` under the generator's lock.
"""

import contextlib
import functools
import inspect
import os
import threading

import numpy as np

from gradiente import backend as B

DEFAULT_SEED = 67280421310721  # torch's seed for a fresh Generator (and the default one)

_MT_N = 624  # MT19937 keeps 624 words of state
_U64 = np.uint64

# torch's serialized generator (``CPUGeneratorImplState``, 5056 bytes): the legacy TH layout
# (seed, twister position, the 624 words stored as uint64, a cached normal) plus a float cache.
# Using the same bytes lets a state move between torch and gradiente in both directions.
_STATE_DTYPE = np.dtype(
    {
        "names": [
            "the_initial_seed",
            "left",
            "seeded",
            "next",
            "state",
            "normal_x",
            "normal_y",
            "normal_rho",
            "normal_is_valid",
            "next_float_normal_sample",
            "is_next_float_normal_sample_valid",
        ],
        "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", _MT_N), "<f8", "<f8", "<f8", "<i4"]
        + ["<f4", "u1"],
        "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052],
        "itemsize": 5056,
    }
)


def _init_genrand(seed32: int) -> np.ndarray:
    """MT19937's seeding routine (``init_genrand``): 624 words from one 32-bit seed.

    ``s[0] = seed``, ``s[i] = 1812433253 * (s[i-1] ^ (s[i-1] >> 30)) + i  (mod 2**32)``.
    The recurrence is sequential, but it is only 624 steps and runs once per seeding.
    """
    key = [seed32]
    for i in range(1, _MT_N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


# How a generator's device name becomes a device object: the tensor layer (above this one)
# installs its ``device`` class here; until then names stay strings.
DEVICE_TYPE = [str]


def _generator_device_name(device) -> str:
    """The name of the device a generator is asked for: "cpu", or "cuda:N" (a bare "cuda" is
    the current device, which must exist, as torch checks); other devices raise."""
    name = str(device)
    if name in ("cpu", "cpu:0"):
        return "cpu"
    kind, _, index = name.partition(":")
    if kind != "cuda" or (index and not index.isdigit()):
        raise RuntimeError(f"gradiente has no generator on {name!r}: use the CPU's or CUDA's")
    index = int(index) if index else B.current_cuda_device()
    B.check_cuda_index(index)
    return f"cuda:{index}"


class Generator:
    """A random number generator with torch's CPU semantics (``torch.Generator``).

    State: the MT19937 words, the seed it started from, and one cached standard normal (torch's
    Box–Muller produces normals in pairs and keeps the second one for the next scalar draw).
    """

    def __init__(self, device="cpu") -> None:
        # torch.Generator(device="cuda") is a Philox generator on the GPU; gradiente draws every
        # stream with this CPU twister (factories then copy to the device), so a CUDA
        # generator is accepted, named by its device, and gives the CPU's numbers
        self._device = _generator_device_name(device)
        self.lock = threading.RLock()  # held for a whole draw (see the package docstring)
        self._bitgen = np.random.MT19937(0)  # its stream is replaced by manual_seed below
        self.manual_seed(DEFAULT_SEED)

    @property
    def device(self):
        """Where torch's generator would live: ``device(type='cpu')`` or a CUDA device."""
        return DEVICE_TYPE[0](self._device)

    def __repr__(self) -> str:
        return f"<gradiente.Generator device='{self._device}' initial_seed={self._seed}>"

    def __getstate__(self) -> dict:
        # a lock cannot be copied or pickled; a copy gets a lock of its own
        return {k: v for k, v in self.__dict__.items() if k != "lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    # --- seeding ------------------------------------------------------------------------------

    def manual_seed(self, seed: int) -> "Generator":
        """Seed the generator like ``torch.Generator.manual_seed``; returns ``self``.

        Any integer in ``[-2**63, 2**64)`` is accepted (negatives wrap to uint64, as in torch).
        The twister only sees the low 32 bits; ``initial_seed()`` keeps all 64.
        """
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise RuntimeError(f"manual_seed expects a value in [-2**63, 2**64), got {seed}")
        seed &= (1 << 64) - 1
        with self.lock:
            self._seed = seed
            self._set_mt(_init_genrand(seed & 0xFFFFFFFF), pos=_MT_N)
            self._fresh = True  # no word drawn since seeding (only matters for get_state's bytes)
            self._next_normal = None  # the cached second Box–Muller value, or None
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy (64 bits) and return that seed."""
        value = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        """The seed last given to ``manual_seed`` / ``seed`` (as an unsigned 64-bit int)."""
        return self._seed

    # --- state --------------------------------------------------------------------------------

    def get_state(self):
        """The full state as a uint8 tensor of 5056 bytes, in exactly torch's layout (the
        bytes of ``torch.get_rng_state()``)."""
        return _STATE_AS_TENSOR[0](self._state_bytes())

    def _state_bytes(self) -> np.ndarray:
        """``get_state()``'s 5056 bytes as a NumPy array."""
        mt = self._bitgen.state["state"]
        pos = int(mt["pos"])
        st = np.zeros((), dtype=_STATE_DTYPE)
        st["the_initial_seed"] = self._seed
        st["seeded"] = 1
        # torch counts down `left` to the next twist and up `next` through the words
        if pos >= _MT_N:
            st["left"], st["next"] = 1, (0 if self._fresh else _MT_N)
        else:
            st["left"], st["next"] = _MT_N + 1 - pos, pos
        st["state"] = mt["key"].astype(np.uint64)
        if self._next_normal is not None:
            st["normal_y"] = self._next_normal
            st["normal_is_valid"] = 1
        return np.frombuffer(st.tobytes(), dtype=np.uint8).copy()

    def set_state(self, state) -> "Generator":
        """Restore a state from ``get_state()`` (a uint8 tensor, or its bytes as an array; also
        ``torch.get_rng_state()``'s)."""
        raw = np.ascontiguousarray(np.asarray(state, dtype=np.uint8))
        if raw.size != _STATE_DTYPE.itemsize:
            raise RuntimeError(
                f"expected a generator state of {_STATE_DTYPE.itemsize} bytes, got {raw.size}"
            )
        st = np.frombuffer(raw.tobytes(), dtype=_STATE_DTYPE)[0]
        left, nxt = int(st["left"]), int(st["next"])
        pos = _MT_N if left == 1 else nxt
        with self.lock:
            self._set_mt(st["state"].astype(np.uint32), pos=pos)
            self._seed = int(st["the_initial_seed"])
            self._fresh = left == 1 and nxt == 0
            self._next_normal = float(st["normal_y"]) if st["normal_is_valid"] else None
        return self

    def _set_mt(self, key: np.ndarray, pos: int) -> None:
        self._bitgen.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}

    # --- raw words ----------------------------------------------------------------------------

    def _random(self, n: int) -> np.ndarray:
        """``n`` calls of torch's ``random()``: 32-bit words (held in uint64 for arithmetic)."""
        self._fresh = self._fresh and n == 0
        return self._bitgen.random_raw(n)

    def _random64(self, n: int) -> np.ndarray:
        """``n`` calls of torch's ``random64()``: two words each, the first one is the high half."""
        w = self._random(2 * n)
        return (w[0::2] << _U64(32)) | w[1::2]


# How ``get_state`` hands its bytes out: the tensor layer (above this one) registers the
# wrapping into a uint8 Tensor when it is imported; until then, the NumPy array itself.
_STATE_AS_TENSOR = [lambda array: array]


def _register_state_wrapper(wrap) -> None:
    _STATE_AS_TENSOR[0] = wrap


default_generator = Generator()


def _gen(generator: Generator | None) -> Generator:
    return default_generator if generator is None else generator


def _one_draw(sampler):
    """Run ``sampler`` holding its generator's lock, so one call is one uninterrupted draw."""
    position = list(inspect.signature(sampler).parameters).index("generator")

    @functools.wraps(sampler)
    def locked(*args, **kwargs):
        generator = args[position] if len(args) > position else kwargs.get("generator")
        with _gen(generator).lock:
            return sampler(*args, **kwargs)

    return locked


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (``torch.manual_seed``); returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator non-deterministically and return the seed (``torch.seed``)."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's initial seed (``torch.initial_seed``)."""
    return default_generator.initial_seed()


def get_rng_state() -> np.ndarray:
    """The default generator's state as uint8 bytes (``torch.get_rng_state``; the package root's
    ``get_rng_state`` wraps them in a tensor)."""
    return default_generator._state_bytes()


def set_rng_state(state: np.ndarray) -> None:
    """Restore the default generator's state (``torch.set_rng_state``)."""
    default_generator.set_state(state)


@contextlib.contextmanager
def fork_rng(
    devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"
):
    """``torch.random.fork_rng``: run the ``with`` block on a fork of the default generator.

    The generator's state (words, seed and cached normal) is saved on entry and restored on
    exit, so draws inside the block leave the program's random stream where it was.
    gradiente's CUDA tensors draw from this same CPU generator, so ``devices`` has nothing more
    to save. ``enabled=False`` makes it a no-op.
    """
    if not enabled:
        yield
        return
    saved = default_generator._state_bytes()
    try:
        yield
    finally:
        default_generator.set_state(saved)
