"""``python -m lrjax``: the ``lrjax`` command line (see ``lrjax --help``)."""

import sys

from lrjax.tools.cli import main

if __name__ == "__main__":
    sys.exit(main())
