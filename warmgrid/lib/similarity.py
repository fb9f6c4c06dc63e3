"""How alike two short Chinese texts are, for spotting a case reported twice. Pure."""

from __future__ import annotations

import re
import unicodedata

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def shingles(text: str, size: int = 2) -> frozenset[str]:
    """Character n-grams of the text with spaces and punctuation removed (Chinese has no
    word boundaries to lean on; bigrams are the usual unit)."""
    clean = _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())
    if len(clean) < size:
        return frozenset({clean}) if clean else frozenset()
    return frozenset(clean[i:i + size] for i in range(len(clean) - size + 1))


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' character bigrams, 0…1."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)
