"""``python app.py [flags]`` is ``planqa serve [flags]``: the one server (:mod:`api.server`) with the citizens' chat
at ``/``, the staff app at ``/staff`` (login when users are configured) and the HTTP API; ``python app.py --public``
serves the citizens' chat and the API only. Nothing imports this file.
"""

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """``python app.py [flags]`` is ``planqa serve [flags]``."""
    from cli import main as cli_main

    return cli_main(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
