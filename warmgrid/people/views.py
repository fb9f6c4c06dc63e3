"""Registry pages: residents and households. Thin: parse, access, act, render.

Every object named in a URL is fetched with an access_* query (outside the user's scope
it is 404); every write goes through people/actions.py, whose errors are shown beside
their fields. HTMX requests get a partial of the same template (`template.html#name`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from warmgrid.accounts.http import client_ip
from warmgrid.accounts.scopes import (
    REGISTRY_READERS,
    grants_of,
    may_edit_path,
    may_reveal,
    own_household_ids,
    registry_edit_paths,
    registry_read_paths,
)
from warmgrid.ledgers.queries import provenance_of
from warmgrid.pages import act, go, render_page, wants_partial
from warmgrid.people import actions, queries
from warmgrid.people.forms import (
    EndTagForm,
    HouseholdForm,
    ResidentFilterForm,
    ResidentForm,
    RevealForm,
    TagForm,
)
from warmgrid.places import queries as places_queries

PAGE_SIZE = 25
SEARCH_LIMIT = 20
SENSITIVE_FIELDS = ("id_number", "phone")


# ---- helpers ------------------------------------------------------------------------------


def _require_registry(user) -> None:
    """Registry pages exist only for people who may read some of the registry."""
    paths = registry_read_paths(user)
    if paths is None or paths or own_household_ids(user):
        return
    raise Http404


def _require_edit(user, area_path: str) -> None:
    """In scope but read-only (supervisors, residents): 403, with the reason."""
    if not may_edit_path(user, area_path):
        raise PermissionDenied(_("Your role does not allow changing the registry here."))


# ---- residents: list and search ---------------------------------------------------------


def _grid_scoped(user) -> bool:
    """Every registry role of the user is over a single grid: few buildings to offer."""
    grants = [g for g in grants_of(user) if g.role in REGISTRY_READERS]
    return bool(grants) and all(g.area_level == "grid" for g in grants)


def _resident_list_context(request) -> dict:
    user = request.user
    _require_registry(user)
    today = timezone.localdate()
    grid_id = request.GET.get("grid", "")
    buildings = None
    if grid_id.isdigit():
        buildings = places_queries.buildings_visible_to(user).filter(grid_id=int(grid_id))
    elif _grid_scoped(user):
        buildings = places_queries.buildings_visible_to(user)
    grids = places_queries.grids_visible_to(user).order_by("path")
    filters = ResidentFilterForm(request.GET or None, grids=grids, buildings=buildings)

    q = " ".join(request.GET.get("q", "").split())[:64]
    context = {"q": q, "filters": filters, "today": today, "page_obj": None, "more": False,
               "can_edit": bool(registry_edit_paths(user))}
    if q:
        found = list(queries.with_active_tags(
            queries.search_residents(user, q, limit=SEARCH_LIMIT + 1), today=today))
        context["residents"] = found[:SEARCH_LIMIT]
        context["more"] = len(found) > SEARCH_LIMIT
        actions.do_record_registry_read(actor=user, objects=context["residents"],
                                        object_type="resident", query=q,
                                        ip_address=client_ip(request))
        return context

    residents = queries.residents_visible_to(user)
    if filters.is_bound and filters.is_valid():
        if grid := filters.cleaned_data.get("grid"):
            residents = residents.filter(grid=grid)
        if building := filters.cleaned_data.get("building"):
            residents = residents.filter(household__building=building)
    residents = queries.with_active_tags(residents.order_by("name", "pk"), today=today)
    page = Paginator(residents, PAGE_SIZE).get_page(request.GET.get("page"))
    context["page_obj"] = page
    context["residents"] = page.object_list
    actions.do_record_registry_read(actor=user, objects=page.object_list, object_type="resident",
                                    ip_address=client_ip(request), page=page.number,
                                    grid=request.GET.get("grid"),
                                    building=request.GET.get("building"))
    return context


@login_required
def resident_list(request):
    return render_page(request, "people/resident_list.html", _resident_list_context(request),
                   "results")


@login_required
def resident_search(request):
    """Search as you type: the results partial for htmx; a plain GET lands on the list."""
    if not wants_partial(request):
        query = request.GET.urlencode()
        url = reverse("people:resident_list")
        return redirect(f"{url}?{query}" if query else url)
    return render(request, "people/resident_list.html#results",
                  _resident_list_context(request))


# ---- residents: detail, reveal, tags ---------------------------------------------------


def _reveal_slot(user, resident, field: str, bases: dict, *, form=None, value=None) -> dict:
    masked = resident.id_number_masked if field == "id_number" else resident.phone_masked
    return {
        "field": field,
        "masked": masked,
        "basis": bases.get(field),
        "may_reveal": bool(masked) and may_reveal(user, field, resident.area_path),
        "form": form or RevealForm(prefix=field),
        "value": value,
    }


def _detail_context(request, resident, *, slots=None, tag_form=None) -> dict:
    user = request.user
    today = timezone.localdate()
    bases = queries.field_bases_of(resident)
    can_edit = may_edit_path(user, resident.area_path)
    context = {
        "resident": resident,
        "household": resident.household,
        "today": today,
        "memberships": list(queries.tag_history_of(resident)),
        "slots": slots or [_reveal_slot(user, resident, f, bases) for f in SENSITIVE_FIELDS],
        "can_edit": can_edit,
        **provenance_of(resident),
    }
    if can_edit:
        context["tag_form"] = tag_form or TagForm(tags=queries.all_tags(),
                                                  initial={"valid_from": today})
        context["end_form"] = EndTagForm(initial={"valid_until": today})
    return context


@login_required
def resident_detail(request, resident_id):
    resident = queries.access_resident_for_user(request.user, resident_id)
    actions.do_record_registry_read(actor=request.user, objects=[resident],
                                    object_type="resident", ip_address=client_ip(request))
    return render(request, "people/resident_detail.html", _detail_context(request, resident))


@never_cache
@login_required
@require_POST
def resident_reveal(request, resident_id, field):
    """Show one sensitive field whole, once, for a typed reason that goes to the audit log."""
    resident = queries.access_resident_for_user(request.user, resident_id)
    if field not in SENSITIVE_FIELDS:
        raise Http404
    form = RevealForm(request.POST, prefix=field)
    value = None
    if form.is_valid():
        value = act(form, lambda: actions.do_reveal_field(
            actor=request.user, resident=resident, field_name=field,
            reason=form.cleaned_data["reason"], ip_address=client_ip(request)))
    bases = queries.field_bases_of(resident)
    slot = _reveal_slot(request.user, resident, field, bases, form=form, value=value)
    if wants_partial(request):
        return render(request, "people/resident_detail.html#reveal",
                      {"resident": resident, "slot": slot})
    slots = [slot if f == field else _reveal_slot(request.user, resident, f, bases)
             for f in SENSITIVE_FIELDS]
    return render(request, "people/resident_detail.html",
                  _detail_context(request, resident, slots=slots))


@login_required
@require_POST
def resident_tag_add(request, resident_id):
    resident = queries.access_resident_for_user(request.user, resident_id)
    _require_edit(request.user, resident.area_path)
    form = TagForm(request.POST, tags=queries.all_tags())
    if form.is_valid():
        data = form.cleaned_data
        membership = act(form, lambda: actions.do_tag_resident(
            actor=request.user, resident=resident, tag=data["tag"], source=data["source"],
            valid_from=data["valid_from"], valid_until=data["valid_until"],
            legal_basis=data["legal_basis"], ip_address=client_ip(request)))
        if membership is not None:
            messages.success(request, _("The group membership is recorded."))
            return redirect(reverse("people:resident_detail", args=[resident.pk]) + "#groups")
    return render(request, "people/resident_detail.html",
                  _detail_context(request, resident, tag_form=form))


@login_required
@require_POST
def resident_tag_end(request, resident_id, membership_id):
    resident = queries.access_resident_for_user(request.user, resident_id)
    membership = queries.access_membership_of_resident(resident, membership_id)
    _require_edit(request.user, resident.area_path)
    form = EndTagForm(request.POST)
    if form.is_valid() and act(form, lambda: actions.do_end_tag(
            actor=request.user, membership=membership,
            valid_until=form.cleaned_data["valid_until"], ip_address=client_ip(request))):
        messages.success(request, _("The end date of the group membership is recorded."))
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
    return redirect(reverse("people:resident_detail", args=[resident.pk]) + "#groups")


# ---- residents: create and edit --------------------------------------------------------


@login_required
def resident_create(request, household_id):
    household = queries.access_household_for_user(request.user, household_id)
    _require_edit(request.user, household.area_path)
    form = ResidentForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        resident = act(form, lambda: actions.do_create_resident(
            actor=request.user, household=household, data=form.to_input(),
            ip_address=client_ip(request)))
        if resident is not None:
            messages.success(request, _("%(name)s is registered.") % {"name": resident.name})
            return go(request, reverse("people:resident_detail", args=[resident.pk]))
    context = {"form": form, "household": household, "resident": None}
    return render_page(request, "people/resident_form.html", context, "form")


@login_required
def resident_edit(request, resident_id):
    resident = queries.access_resident_for_user(request.user, resident_id)
    _require_edit(request.user, resident.area_path)
    bases = queries.field_bases_of(resident)
    form = ResidentForm(request.POST if request.method == "POST" else None,
                        resident=resident, bases=bases)
    if form.is_bound and form.is_valid():
        updated = act(form, lambda: actions.do_update_resident(
            actor=request.user, resident=resident, data=form.to_input(),
            ip_address=client_ip(request)))
        if updated is not None:
            messages.success(request, _("The changes are saved."))
            return go(request, reverse("people:resident_detail", args=[resident.pk]))
    context = {"form": form, "household": resident.household, "resident": resident,
               "today": timezone.localdate()}
    return render_page(request, "people/resident_form.html", context, "form")


# ---- households ---------------------------------------------------------------------------


@login_required
def household_list(request):
    user = request.user
    _require_registry(user)
    grids = places_queries.grids_visible_to(user).order_by("path")
    filters = ResidentFilterForm(request.GET or None, grids=grids)
    q = " ".join(request.GET.get("q", "").split())[:64]
    context = {"q": q, "filters": filters, "page_obj": None,
               "can_edit": bool(registry_edit_paths(user))}
    if q:
        context["households"] = list(
            queries.search_households(user, q, limit=SEARCH_LIMIT).select_related("householder"))
    else:
        households = queries.households_visible_to(user).select_related("householder")
        if filters.is_bound and filters.is_valid() and filters.cleaned_data.get("grid"):
            households = households.filter(grid=filters.cleaned_data["grid"])
        page = Paginator(households.order_by("building__code", "unit", "room", "pk"),
                         PAGE_SIZE).get_page(request.GET.get("page"))
        context["page_obj"] = page
        context["households"] = page.object_list
    actions.do_record_registry_read(actor=user, objects=context["households"],
                                    object_type="household", query=q or None,
                                    ip_address=client_ip(request))
    return render_page(request, "people/household_list.html", context, "results")


@login_required
def household_detail(request, household_id):
    household = queries.access_household_for_user(request.user, household_id)
    actions.do_record_registry_read(actor=request.user, objects=[household],
                                    object_type="household", ip_address=client_ip(request))
    today = timezone.localdate()
    members = list(queries.with_active_tags(queries.members_of(household), today=today))
    context = {
        "household": household,
        "members": members,
        "householder": next((m for m in members if m.pk == household.householder_id), None),
        "can_edit": may_edit_path(request.user, household.area_path),
        "today": today,
    }
    return render(request, "people/household_detail.html", context)


@login_required
def household_create(request):
    user = request.user
    _require_registry(user)
    if not registry_edit_paths(user):
        raise PermissionDenied(_("Your role does not allow changing the registry here."))
    buildings = places_queries.buildings_editable_by(user).order_by("grid__path", "code")
    initial = {"building": request.GET.get("building")} if request.GET.get("building") else {}
    form = HouseholdForm(request.POST if request.method == "POST" else None,
                         buildings=buildings, initial=initial)
    if form.is_bound and form.is_valid():
        household = act(form, lambda: actions.do_create_household(
            actor=user, building=form.cleaned_data["building"], data=form.to_input(),
            ip_address=client_ip(request)))
        if household is not None:
            messages.success(request, _("The household is registered. Now add its members."))
            return go(request, reverse("people:household_detail", args=[household.pk]))
    return render_page(request, "people/household_form.html",
                   {"form": form, "household": None}, "form")


@login_required
def household_edit(request, household_id):
    user = request.user
    household = queries.access_household_for_user(user, household_id)
    _require_edit(user, household.area_path)
    buildings = places_queries.buildings_editable_by(user).order_by("grid__path", "code")
    form = HouseholdForm(
        request.POST if request.method == "POST" else None,
        buildings=buildings, members=queries.members_of(household),
        initial={"building": household.building_id, "unit": household.unit,
                 "room": household.room, "householder": household.householder_id},
    )
    if form.is_bound and form.is_valid():
        updated = act(form, lambda: actions.do_update_household(
            actor=user, household=household, data=form.to_input(),
            building=form.cleaned_data["building"],
            householder=form.cleaned_data.get("householder"),
            ip_address=client_ip(request)))
        if updated is not None:
            messages.success(request, _("The changes are saved."))
            return go(request, reverse("people:household_detail", args=[household.pk]))
    return render_page(request, "people/household_form.html",
                   {"form": form, "household": household}, "form")
