from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    """A share as a whole percentage; "–" when there is nothing to divide."""
    return "–" if value is None else f"{round(value * 100)}%"


@register.filter
def num(value) -> str:
    """A weighted count: at most two decimals, no trailing zeros."""
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


@register.filter
def mark(value) -> str:
    """A yes / no / does-not-apply flag as a symbol (the column heading says what)."""
    return "–" if value is None else "✓" if value else "✗"
