"""``python -m eval``: see eval/README.md."""

import sys

from eval.runner import main

sys.exit(main())
