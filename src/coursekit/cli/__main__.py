"""``python -m coursekit.cli``."""

import sys

from coursekit.cli import main

sys.exit(main())
