"""``python -m ykgeo.cli``: the same as the ``ykgeo`` command."""

import sys

from ykgeo.cli import main

sys.exit(main())
