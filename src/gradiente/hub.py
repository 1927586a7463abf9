"""``torch.hub`` without a network: local repositories and cached checkpoints only.

``hub.load(dir, model, source="local")`` imports ``dir/hubconf.py`` and calls its entry point,
as torch does. A GitHub repository would have to be downloaded, which gradiente does not do:
``load``, ``list`` and ``help`` with ``source="github"`` raise one error naming the repository.
``load_state_dict_from_url`` loads the checkpoint from the hub cache
(``get_dir()/checkpoints/<file name>``, where torch also keeps it) when it is there, and names
the URL and that path otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import urllib.parse

from gradiente.serialization import load as _load

_hub_dir: str | None = None


def get_dir() -> str:
    """The hub cache: ``set_dir``'s, else ``$TORCH_HOME/hub``, else
    ``$XDG_CACHE_HOME/torch/hub`` (``~/.cache/torch/hub``), as torch."""
    if _hub_dir is not None:
        return _hub_dir
    if "TORCH_HOME" in os.environ:
        return os.path.join(os.path.expanduser(os.environ["TORCH_HOME"]), "hub")
    cache = os.environ.get("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache"))
    return os.path.join(cache, "torch", "hub")


def set_dir(d) -> None:
    """Use ``d`` as the hub cache."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def _no_network(what: str):
    return RuntimeError(
        f"{what}: gradiente has no network access for torch.hub. Clone the repository and "
        "call torch.hub.load(path, model, source='local'), or build the model in Python and "
        "load its weights with torch.load."
    )


def _hubconf(repo_or_dir, source: str):
    """The ``hubconf`` module of a local repository (``source="local"``)."""
    if source not in ("github", "gitlab", "local"):
        raise ValueError(
            f'Unknown source: "{source}". Allowed values: "github" | "gitlab" | "local".'
        )
    if source != "local":
        raise _no_network(f"torch.hub: cannot download {repo_or_dir!r} from {source}")
    path = pathlib.Path(repo_or_dir) / "hubconf.py"
    if not path.is_file():
        raise FileNotFoundError(f"hubconf.py not found in {repo_or_dir}")  # no such repository
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))  # hubconf imports the repository's own modules
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def _entrypoint(module, model: str):
    function = getattr(module, model, None)
    if function is None or not callable(function):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return function


def list(github, force_reload=False, skip_validation=False, trust_repo=None, verbose=True):  # noqa: A001
    """The entry points of a local repository's hubconf (GitHub ones cannot be fetched)."""
    source = "local" if os.path.isdir(github) else "github"
    module = _hubconf(github, source)
    return [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None):  # noqa: A001
    """The docstring of a local repository's entry point ``model``."""
    source = "local" if os.path.isdir(github) else "github"
    return _entrypoint(_hubconf(github, source), model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False,
         verbose=True, skip_validation=False, **kwargs):  # fmt: skip
    """``model(*args, **kwargs)`` from ``repo_or_dir/hubconf.py`` with ``source="local"``; a
    GitHub repository cannot be downloaded (one error naming it)."""
    if source == "github":
        raise _no_network(f"torch.hub.load({repo_or_dir!r}, {model!r})")
    return _entrypoint(_hubconf(repo_or_dir, source), model)(*args, **kwargs)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):  # fmt: skip
    """The checkpoint at ``url``, read from the hub cache when it is there (torch's path:
    ``model_dir`` or ``get_dir()/checkpoints``, the URL's file name); else one error naming the
    URL and the path to put the file at."""
    directory = model_dir if model_dir is not None else os.path.join(get_dir(), "checkpoints")
    name = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached = os.path.join(directory, name)
    if not os.path.exists(cached):
        raise _no_network(
            f"torch.hub.load_state_dict_from_url({url!r}): not in the cache at {cached!r} "
            "(download it there yourself to use it)"
        )
    return _load(cached, map_location=map_location, weights_only=weights_only)


def download_url_to_file(url, dst, hash_prefix=None, progress=True) -> None:
    """Refused: gradiente does not download."""
    raise _no_network(f"torch.hub.download_url_to_file({url!r}, {dst!r})")
