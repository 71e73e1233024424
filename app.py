"""The Gradio chat (placeholder until the chat issue lands): `python app.py` ingests nothing and serves nothing yet."""

import sys

if __name__ == "__main__":
    print("The chat is not built yet; run `planqa ingest` to build the store.", file=sys.stderr)
    sys.exit(0)
