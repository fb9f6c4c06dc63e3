"""The instruments WarmGrid ships."""

from pathlib import Path

# 社区温度量表: the default instrument, an XLSForm in the markdown form pyxform reads
# (reviewable as text); docs/warmth.md describes its facets.
DEFAULT_INSTRUMENT = Path(__file__).parent / "data" / "shequ_wendu.md"
