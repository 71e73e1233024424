"""``qa.lexical._top``: the k best BM25 scores without sorting the whole corpus, in a full stable sort's order."""

from __future__ import annotations

import numpy as np
import pytest

from qa.search.lexical import _top


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("k", [1, 5, 30, 200])
def test_top_k_equals_a_stable_full_sort(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=int(rng.integers(1, 120))).astype(np.float32)  # few values: many ties
    expected = np.argsort(-scores, kind="stable")[:k]
    assert _top(scores, k).tolist() == expected.tolist()


def test_top_of_nothing_is_empty() -> None:
    assert _top(np.zeros(0, dtype=np.float32), 5).tolist() == []
    assert _top(np.ones(3, dtype=np.float32), 0).tolist() == []
