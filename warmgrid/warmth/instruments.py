"""The instruments WarmGrid ships, and stored versions read back as instruments."""

import tempfile
import threading
from pathlib import Path

from warmgrid.lib.warmth import instrument as xlsform

# 社区温度量表: the default instrument, an XLSForm in the markdown form pyxform reads
# (reviewable as text); docs/warmth.md describes its facets.
DEFAULT_INSTRUMENT = Path(__file__).parent / "data" / "shequ_wendu.md"

# Parsing a form with pyxform takes ~0.1 s; a version is frozen once published, so its
# parse is kept per process, keyed by content digest.
_parsed: dict[str, xlsform.Instrument] = {}
_lock = threading.Lock()


def read_source(name: str, content: bytes) -> xlsform.Instrument:
    suffix = Path(name).suffix.lower() or ".xlsx"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"form{suffix}"
        path.write_bytes(content)
        return xlsform.read_instrument(path)


def instrument_of(version) -> xlsform.Instrument:
    """The parsed instrument of an InstrumentVersion."""
    with _lock:
        found = _parsed.get(version.digest)
    if found is None:
        found = read_source(version.source_name, bytes(version.source))
        with _lock:
            _parsed[version.digest] = found
    return found
