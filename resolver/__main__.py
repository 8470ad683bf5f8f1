"""``python -m resolver``: the same as the ``resolver`` command."""

import sys

from resolver.cli import main

sys.exit(main())
