"""`python ingest.py [PATHS…]`: the same as `planqa ingest` (see `planqa ingest --help`)."""

import sys

from cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
