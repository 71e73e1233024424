"""``python app.py [flags]`` is ``planqa serve [flags]``: the Gradio app (staff mode, login when users are
configured) or ``python app.py --public``. The app itself is :mod:`ui.blocks`; nothing imports this file.
"""

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """``python app.py [flags]`` is ``planqa serve [flags]``."""
    from cli import main as cli_main

    return cli_main(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
