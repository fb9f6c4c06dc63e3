"""The assessment in words: figure labels and each reason for a move, in the user's
language, shared by the pages and the API."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from warmgrid.lib import assessment as method

REOPEN = "reopen"  # shown as the share reopened; scored as its complement, NO_REOPEN
COLUMNS = (method.RESPONSE, method.ON_TIME, method.RESOLUTION, method.SATISFACTION, REOPEN,
           method.MISROUTE)
LABELS = {
    method.RESPONSE: gettext_lazy("First response on time"),
    method.ON_TIME: gettext_lazy("Resolved on time"),
    method.RESOLUTION: gettext_lazy("Fixed or partly fixed"),
    method.SATISFACTION: gettext_lazy("Satisfied (rated 4–5)"),
    method.NO_REOPEN: gettext_lazy("Not reopened"),
    REOPEN: gettext_lazy("Reopened"),
    method.MISROUTE: gettext_lazy("Misrouted on the way"),
}
SHORT_LABELS = {
    method.RESPONSE: gettext_lazy("Answered on time"),
    method.ON_TIME: gettext_lazy("Resolved on time"),
    method.RESOLUTION: gettext_lazy("Fixed"),
    method.SATISFACTION: gettext_lazy("Satisfied"),
    REOPEN: gettext_lazy("Reopened"),
    method.MISROUTE: gettext_lazy("Misrouted"),
}


def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def _number(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(int(value)) if isinstance(value, float) else str(value)


def reason_text(reason: method.Reason) -> str:
    """One reason in words: the numbers are the ones on the page."""
    n = reason.numbers
    code = reason.code
    if code == "few_cases":
        return _("Not ranked: %(cases)s counted cases, fewer than the minimum of "
                 "%(minimum)s.") % {"cases": n["cases"], "minimum": n["minimum"]}
    if code == "unranked_ahead":
        return ngettext(
            "%(count)s placed above in the zero-complaints list has too few cases to be "
            "ranked fairly.",
            "%(count)s placed above in the zero-complaints list have too few cases to be "
            "ranked fairly.", n["subjects"]) % {"count": n["subjects"]}
    if code == "passed":
        return ngettext(
            "Now level with or ahead of %(count)s who had fewer complaints.",
            "Now level with or ahead of %(count)s who had fewer complaints.",
            n["subjects"]) % {"count": n["subjects"]}
    if code == "passed_by":
        return ngettext(
            "%(count)s with as many complaints or more now ranks ahead, on better rates.",
            "%(count)s with as many complaints or more now rank ahead, on better rates.",
            n["subjects"]) % {"count": n["subjects"]}
    if code == "exclusions" and not n["complaints"]:
        return ngettext(
            "%(count)s unreasonable demand was excluded after two reviewers approved.",
            "%(count)s unreasonable demands were excluded after two reviewers approved.",
            n["excluded"]) % {"count": n["excluded"]}
    if code == "exclusions":
        return ngettext(
            "%(count)s unreasonable demand was excluded after two reviewers approved; "
            "%(complaints)s complaints on it no longer count.",
            "%(count)s unreasonable demands were excluded after two reviewers approved; "
            "%(complaints)s complaints on them no longer count.",
            n["excluded"]) % {"count": n["excluded"], "complaints": n["complaints"]}
    if code == "high_volume":
        return _("Handled %(cases)s cases against a median of %(median)s: more cases bring "
                 "more complaints to count, but not a lower rate.") % {
            "cases": n["cases"], "median": _number(n["median"])}
    if code == "low_volume":
        return _("Only %(cases)s cases against a median of %(median)s: few cases leave few "
                 "complaints to count.") % {"cases": n["cases"], "median": _number(n["median"])}
    if code == "harder_mix":
        return _("Harder cases than most: mean difficulty %(mean)s against %(pool)s in the "
                 "pool, and a shortfall on a hard case weighs less.") % {
            "mean": _number(n["mean"]), "pool": _number(n["pool"])}
    if code == "easier_mix":
        return _("Easier cases than most: mean difficulty %(mean)s against %(pool)s in the "
                 "pool.") % {"mean": _number(n["mean"]), "pool": _number(n["pool"])}
    if code == "complaints_on_hard_cases":
        return _("%(hard)s of %(complaints)s complaints came on cases harder than the pool's "
                 "mean difficulty (%(difficulty)s).") % {
            "hard": n["hard"], "complaints": n["complaints"],
            "difficulty": _number(n["pool_difficulty"])}
    if code in ("above_pool", "below_pool"):
        values = {"indicator": LABELS[n["indicator"]], "rate": percent(n["rate"]),
                  "pool": percent(n["pool"])}
        if code == "above_pool":
            return _("%(indicator)s: %(rate)s against %(pool)s in the pool, which a "
                     "complaint count does not see.") % values
        return _("%(indicator)s: %(rate)s against %(pool)s in the pool.") % values
    if code == "pulled_to_mean":
        return _("With %(cases)s cases, the pool's mean makes up %(weight)s of the score.") % {
            "cases": n["cases"], "weight": percent(n["weight"])}
    return code
