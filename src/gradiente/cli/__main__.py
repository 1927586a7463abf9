"""``python -m gradiente.cli``: the ``gradiente`` command, as ``python -m gradiente``."""

import sys

from gradiente.cli import main

if __name__ == "__main__":
    sys.exit(main())
