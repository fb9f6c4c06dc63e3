"""Search keys for Chinese names: full toneless pinyin and initials ("张三" → zhangsan, zs)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def pinyin_keys(name: str) -> tuple[str, str]:
    """Return (full pinyin, initials), lower-case, for a name; non-Han characters pass through."""
    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="default")]
    syllables = [s for s in syllables if s.strip()]
    full = "".join(syllables).replace(" ", "")
    initials = "".join(s[0] for s in syllables if s[0].isalnum())
    return full, initials
