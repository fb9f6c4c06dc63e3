"""Supervisor pages (督办): the board, its trends, recurring problems, a problem's cases, and
acknowledging a cluster alert.

Only supervisors (community staff, street and district admins, system admins) have these
pages; anyone else gets 404, as for any object outside their scope. Every figure comes
from supervision/queries.py, limited to the areas the user supervises.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warmgrid.accounts.http import client_ip
from warmgrid.accounts.scopes import within
from warmgrid.cases.models import Case, Category
from warmgrid.cases.reference import reference
from warmgrid.errors import Conflict, Forbidden
from warmgrid.places.models import Area
from warmgrid.supervision import actions, queries
from warmgrid.supervision.queries import BOARD_STATES

LIST_LIMIT = 20  # overdue and due-soon cases shown on the board
TABLE_LIMIT = 100  # grids in the board's table; the map shows them all
CHART_GRIDS = 20
PAGE_SIZE = 20
PROBLEMS_PER_PAGE = 50


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _category_name(category: Category | None) -> str:
    if category is None:
        return ""
    english = _english()

    def name(c: Category) -> str:
        return c.name_en if english and c.name_en else c.name

    return f"{name(category.parent)} › {name(category)}" if category.parent_id else name(category)


def _family_name(category: Category | None) -> str:
    if category is None:
        return _("Other categories")
    return category.name_en if _english() and category.name_en else category.name


def _place(case: Case, grid_name: str) -> str:
    """Where it is, in a line: building (and flat), the exact spot, the grid."""
    parts = []
    if case.building_id:
        flat = f" {case.household.unit}-{case.household.room}" if case.household_id else ""
        parts.append(f"{case.building.name}{flat}")
    if case.address:
        parts.append(case.address)
    if grid_name:
        parts.append(grid_name)
    return " · ".join(parts) or _("Not placed in a grid yet")


def _labelled(cases: list[Case], grid_names: dict[int, str]) -> list[Case]:
    """Place, category and unit of each listed case, from reference data every process
    keeps (cases.reference) rather than from more joins."""
    known = reference()
    categories = {c.pk: c for c in known.categories_by_code.values()}
    units = {d.pk: d.name for found in known.departments_by_kind.values() for d in found}
    for case in cases:
        case.place = _place(case, grid_names.get(case.grid_id, ""))
        case.category_name = _category_name(categories.get(case.category_id))
        case.unit_name = units.get(case.lead_department_id, "")
    return cases


def _label_alert(alert) -> None:
    alert.category_label = _family_name(alert.category) if alert.category_id else ""


def _supervisor(request):
    if not queries.supervises(request.user):
        raise Http404
    return request.user


def _narrowed(request, user) -> tuple[Area | None, list[str] | None]:
    """The supervised paths, or one supervised area the user chose (?area=id)."""
    area_id = request.GET.get("area", "")
    if not area_id:
        return None, queries.supervised_paths(user)
    area = queries.access_supervised_area_for_user(user, area_id)
    return area, [area.path]


# ---- the board ----------------------------------------------------------------------------


def json_script_text(text: str, element_id: str) -> str:
    """JSON text in a data-only script element, as json_script writes it, but without
    escaping each Chinese character to a six-byte \\u escape: the map of a district is
    hundreds of outlines, and its size matters on a phone. The three characters
    json_script escapes are escaped, so the data cannot close the element."""
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E")):
        text = text.replace(char, escaped)
    return format_html('<script id="{}" type="application/json">{}</script>', element_id,
                       mark_safe(text))  # noqa: S308  (escaped just above)


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def _map_data(grids: list[queries.AreaRow], counts: dict) -> tuple[str, str, int, int]:
    """The grids' outlines as a GeoJSON FeatureCollection for echarts.registerMap, and the
    open and overdue counts keyed by grid code, as JSON text; plus how many grids are
    mapped and how many have no outline.

    Outlines arrive as the database's JSON text and are spliced in as they are: parsing
    and writing a district's outlines again would cost more than the rest of the map."""
    features, values, missing = [], [], 0
    for grid in grids:
        if not grid.outline:
            missing += 1
            continue
        geometry = grid.outline
        if '"Feature"' in geometry:  # a Feature holding the geometry (validators allow it)
            geometry = _compact(json.loads(geometry).get("geometry"))
        properties = _compact({"name": grid.name, "code": grid.code})
        features.append(f'{{"type":"Feature","geometry":{geometry},"properties":{properties}}}')
        row = counts.get(grid.pk)
        values.append({"name": grid.code, "value": row.open if row else 0,
                       "red": row.red if row else 0})
    geo = '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
    data = {"values": values, "labels": {"open": _("Open"), "red": _("Overdue")}}
    return geo, _compact(data), len(features), missing


@login_required
def board(request):
    """Open cases of the supervised areas: counts by state and warning, the late and the
    nearly late, cluster alerts, a map and a table of open cases per grid."""
    user = _supervisor(request)
    area, paths = _narrowed(request, user)
    now = timezone.now()
    counts = queries.open_counts_by_grid(paths)
    areas = queries.areas_supervised(user)
    grids = [a for a in areas if a.level == Area.Level.GRID and within(a.path, paths)]
    grid_by_id = {g.pk: g for g in grids}
    unplaced = _("Not placed in a grid yet")
    rows = []
    for grid_id, row in counts.items():
        grid = grid_by_id.get(grid_id)
        rows.append({"grid": grid, "name": grid.name if grid else unplaced,
                     "path": grid.path if grid else "~", "open": row.open, "red": row.red,
                     "yellow": row.yellow, "numbers": row.numbers})
    rows.sort(key=lambda r: (-r["red"], -r["open"], r["path"]))
    charted = sorted(rows, key=lambda r: (-r["open"], r["path"]))[:CHART_GRIDS]
    chart = {
        "areas": [r["name"] for r in charted],
        "series": [{"name": str(Case.State(s).label),
                    "data": [r["numbers"][i] for r in charted]}
                   for i, s in enumerate(BOARD_STATES)],
    }
    totals = [sum(r["numbers"][i] for r in rows) for i in range(len(BOARD_STATES))]
    geo, map_values, mapped, unmapped = _map_data(grids, counts)
    grid_names = {g.pk: g.name for g in grids}
    late = _labelled(queries.cases_with_warning(paths, "red", limit=LIST_LIMIT), grid_names)
    soon = _labelled(queries.cases_with_warning(paths, "yellow", limit=LIST_LIMIT), grid_names)
    choices = [a for a in areas if a.level != Area.Level.GRID]
    alerts = queries.open_alerts(paths)
    for alert in alerts:
        _label_alert(alert)
    return render(request, "supervision/board.html", {
        "area": area, "area_choices": choices if len(choices) > 1 else [],
        "query": urlencode({"area": area.pk}) if area else "",
        "states": [(Case.State(s).label, n) for s, n in zip(BOARD_STATES, totals, strict=True)],
        "open_total": sum(r["open"] for r in rows),
        "red_total": sum(r["red"] for r in rows),
        "late": late, "late_count": sum(r["red"] for r in rows),
        "soon": soon, "soon_count": sum(r["yellow"] for r in rows),
        "rows": rows[:TABLE_LIMIT], "rows_capped": len(rows) > TABLE_LIMIT,
        "table_limit": TABLE_LIMIT, "state_labels": [Case.State(s).label for s in BOARD_STATES],
        "totals": totals, "chart": chart, "chart_capped": len(rows) > CHART_GRIDS,
        "chart_grids": CHART_GRIDS, "geo": json_script_text(geo, "wg-map-geo"),
        "map_values": json_script_text(map_values, "wg-map-values"),
        "mapped": mapped, "unmapped": unmapped,
        "alerts": alerts, "now": now,
    })


@login_required
@require_POST
def acknowledge_alert(request, alert_id):
    """A supervisor takes an alert on; htmx swaps its row for the acknowledged one."""
    user = _supervisor(request)
    alert = queries.access_alert_for_user(user, alert_id)
    try:
        alert = actions.do_acknowledge_cluster_alert(actor=user, alert=alert,
                                                     ip_address=client_ip(request))
    except Forbidden as exc:
        raise PermissionDenied(str(exc.message)) from exc
    except Conflict as exc:
        messages.info(request, str(exc.message))
        alert = queries.access_alert_for_user(user, alert.pk)
    else:
        messages.success(request, _("The alert is acknowledged."))
    if request.htmx:
        queries.attach_alert_cases([alert], queries.supervised_paths(user))
        _label_alert(alert)
        return render(request, "supervision/board.html#alert",
                      {"alert": alert})
    return redirect("supervision:board")


# ---- trends -------------------------------------------------------------------------------


@login_required
def trends(request):
    """Cases reported (by category family) and closed per month, for the last year; the
    board loads it after itself (htmx), and it is a page of its own too."""
    user = _supervisor(request)
    area, paths = _narrowed(request, user)
    trend = queries.monthly_trend(paths, now=timezone.now())
    series = [{"name": _family_name(category), "kind": "family", "data": data}
              for category, data in trend.families]
    series += [{"name": _("All reported"), "kind": "reported", "data": trend.reported},
               {"name": _("Closed"), "kind": "closed", "data": trend.closed}]
    chart = {"months": [f"{m:%Y-%m}" for m in trend.months], "series": series}
    context = {"area": area, "chart_json": _compact(chart),
               "has_data": any(trend.reported) or any(trend.closed),
               "rows": list(zip(trend.months, trend.reported, trend.closed, strict=True))}
    template = "supervision/trends.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#trends"
    return render(request, template, context)


# ---- recurring problems (主动治理) ----------------------------------------------------------


@login_required
def recurring(request):
    """Problems that keep coming back in a grid, for a month (?month=YYYY-MM, the last
    full month by default), so that supervisors act before residents complain."""
    user = _supervisor(request)
    area, paths = _narrowed(request, user)
    current = queries.local_month(timezone.now())
    choices = [queries.add_months(current, -n) for n in range(1, 13)]
    month = queries.parse_month(request.GET.get("month", "")) if "month" in request.GET \
        else choices[0]
    if month not in choices:
        messages.error(request, _("Choose one of the last twelve full months."))
        month = choices[0]
    tallies = queries.recurring_tallies(paths, month)
    page = Paginator(tallies, PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
    shown = queries.recurring_problems(page.object_list, month)
    queries.name_buildings(paths, shown, month)
    months = [queries.add_months(month, -n) for n in range(queries.RECURRING_SPAN - 1, -1, -1)]
    for problem in shown:
        problem.category_name = _category_name(problem.category)
        problem.cases_url = reverse("supervision:problem_cases") + "?" + urlencode(
            {"grid": problem.grid.pk, "category": problem.category.code,
             "month": f"{month:%Y-%m}"})
    return render(request, "supervision/recurring.html", {
        "area": area, "month": month, "month_choices": choices, "months": months,
        "problems": shown, "page_obj": page, "total": page.paginator.count,
        "min_cases": queries.RECURRING_MIN_CASES, "min_months": queries.RECURRING_MIN_MONTHS,
        "span": queries.RECURRING_SPAN,
    })


@login_required
def problem_cases(request):
    """The cases behind one recurring problem: a grid, a category, a month."""
    user = _supervisor(request)
    grid = queries.access_supervised_area_for_user(user, request.GET.get("grid", ""))
    category = Category.objects.select_related("parent") \
        .filter(code=request.GET.get("category", "")).first()
    month = queries.parse_month(request.GET.get("month", ""))
    if grid.level != Area.Level.GRID or category is None or month is None:
        raise Http404
    cases = queries.cases_of_problem(queries.supervised_paths(user), grid=grid,
                                     category=category, month=month)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/problem_cases.html", {
        "grid": grid, "category_name": _category_name(category), "month": month,
        "cases": _labelled(list(page.object_list), {grid.pk: grid.name}), "page_obj": page,
        "query": urlencode({"grid": grid.pk, "category": category.code,
                            "month": f"{month:%Y-%m}"}),
        "now": timezone.now(),
    })
