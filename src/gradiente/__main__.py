"""``python -m gradiente``: the ``gradiente`` command (see ``gradiente.cli``)."""

import sys

from gradiente.cli import main

if __name__ == "__main__":
    sys.exit(main())
