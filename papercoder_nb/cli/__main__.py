"""``python -m papercoder_nb.cli``: the same as the ``papercoder`` script."""

import sys

from .main import main

sys.exit(main())
