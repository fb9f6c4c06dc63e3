"""`warmgrid demo`: structure, realism, sealed identifiers, determinism, accounts, guards."""

from __future__ import annotations

import base64
import csv
import hashlib
import re
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from warmgrid.accounts.models import Department, Role, RoleAssignment, User
from warmgrid.audit.actions import verify_chain
from warmgrid.audit.models import AuditEntry
from warmgrid.demo import names
from warmgrid.demo.generator import DEMO_PASSWORD, LOGINS_COLUMNS
from warmgrid.demo.people import REFERENCE_DATE
from warmgrid.demo.plan import iter_grid_plans, plan_accounts, plan_layout
from warmgrid.lib.idnumber import parse_id_number
from warmgrid.lib.masking import mask_id_number, mask_phone
from warmgrid.lib.phone import MOBILE
from warmgrid.people.identifiers import (
    id_number_index,
    last4_index,
    open_id_number,
    open_phone,
    phone_index,
)
from warmgrid.people.models import (
    Household,
    Resident,
    ResidentTag,
    SensitiveFieldBasis,
)
from warmgrid.people.queries import search_residents
from warmgrid.places.models import Area, Building
from warmgrid.testing import make_area

HOUSEHOLDS = 600
SEED = 11
ADMIN_ROLES = {Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN}
CODE_LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15}


def build(**options) -> str:
    out = StringIO()
    call_command("demo", households=HOUSEHOLDS, seed=SEED, stdout=out, stderr=StringIO(),
                 **options)
    return out.getvalue()


@pytest.fixture
def var_dir(settings, tmp_path):
    """The logins file goes to a temporary folder, not to the checkout's var/."""
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def demo(db, var_dir):
    return build()


def age(birth) -> int:
    return REFERENCE_DATE.year - birth.year - (
        (REFERENCE_DATE.month, REFERENCE_DATE.day) < (birth.month, birth.day))


def read_logins(var_dir) -> list[dict[str, str]]:
    with open(var_dir / "demo-logins.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_it_builds_a_district_of_streets_communities_grids_and_buildings(demo):
    areas = {a.pk: a for a in Area.objects.all()}
    by_level = Counter(a.level for a in areas.values())
    assert by_level["district"] == 1
    assert by_level["street"] >= 2
    assert by_level["community"] >= by_level["street"]
    assert by_level["grid"] >= by_level["community"]
    for area in areas.values():
        assert re.fullmatch(r"\d+", area.code) and len(area.code) == CODE_LENGTH[area.level]
        parent = areas.get(area.parent_id)
        if area.level == "district":
            assert (area.code, area.path, parent) == ("370102", "370102/", None)
        else:
            assert parent.level == Area.PARENT_LEVEL[area.level]
            assert area.code.startswith(parent.code)
            assert area.path == f"{parent.path}{area.code}/"

    assert Household.objects.count() == HOUSEHOLDS
    grids = {a.pk: a for a in areas.values() if a.level == "grid"}
    buildings = {b.pk: b for b in Building.objects.all()}
    for building in buildings.values():
        grid = grids[building.grid_id]
        assert building.area_path == grid.path
        assert re.fullmatch(rf"{grid.code}-B\d\d", building.code)
        assert re.fullmatch(r"\d+号楼", building.name)
        assert 6 <= building.floor_count <= 18 and 2 <= building.unit_count <= 4
    for household in Household.objects.all():
        building = buildings[household.building_id]
        assert household.grid_id == building.grid_id
        assert household.area_path == building.area_path
        floor, room = divmod(int(household.room), 100)
        assert 1 <= floor <= building.floor_count and 1 <= room <= 4
        assert 1 <= int(household.unit) <= building.unit_count
    households = {h.pk: h for h in Household.objects.all()}
    for resident in Resident.objects.all():
        household = households[resident.household_id]
        assert (resident.grid_id, resident.area_path) == (household.grid_id,
                                                          household.area_path)
    tag_paths = ResidentTag.objects.values_list("area_path", "resident__area_path")
    assert all(own == residents for own, residents in tag_paths)


def test_every_household_has_a_householder_and_family_ages_fit(demo):
    residents = defaultdict(list)
    for r in Resident.objects.all():
        residents[r.household_id].append(r)
    for household in Household.objects.all():
        members = residents[household.pk]
        head = next(r for r in members if r.pk == household.householder_id)
        assert head.relation == Resident.Relation.HOUSEHOLDER
        assert [r.relation for r in members].count(Resident.Relation.HOUSEHOLDER) == 1
        assert len({r.name for r in members}) == len(members)
        head_age = age(head.birth_date)
        for r in members:
            gap = head_age - age(r.birth_date)
            if r.relation == Resident.Relation.CHILD:
                assert gap >= 16, (head, r)
            elif r.relation == Resident.Relation.GRANDCHILD:
                assert gap >= 36, (head, r)
            elif r.relation == Resident.Relation.PARENT:
                assert gap <= -18, (head, r)
            elif r.relation == Resident.Relation.SPOUSE:
                assert abs(gap) <= 15 and r.gender != head.gender, (head, r)
    assert 2.2 <= Resident.objects.count() / HOUSEHOLDS <= 2.9


def test_the_population_is_ageing_and_mostly_registered(demo):
    residents = list(Resident.objects.all())
    n = len(residents)
    ages = [age(r.birth_date) for r in residents]
    assert 0.15 <= sum(a >= 60 for a in ages) / n <= 0.27
    status = Counter(r.residence_status for r in residents)
    assert status["hukou"] / n > 0.6
    assert 0.07 <= status["floating"] / n <= 0.25
    ethnicity = Counter(r.ethnicity for r in residents)
    assert ethnicity["汉族"] / n > 0.93
    adults = [r for r, a in zip(residents, ages, strict=True) if 18 <= a < 70]
    assert sum(bool(r.phone_masked) for r in adults) / len(adults) > 0.85
    assert sum(bool(r.occupation) for r in residents) / n > 0.5
    surnames = Counter(r.name[0] for r in residents)
    assert {s for s, _ in surnames.most_common(5)} & {"王", "张", "李", "刘"}


def test_vulnerable_group_tags_follow_age_and_circumstance(demo):
    tags = defaultdict(set)
    for resident_id, code in ResidentTag.objects.values_list("resident_id", "tag__code"):
        tags[resident_id].add(code)
    sizes = Counter(Resident.objects.values_list("household_id", flat=True))
    residents = list(Resident.objects.all())
    for r in residents:
        a = age(r.birth_date)
        assert ("elderly_80" in tags[r.pk]) == (a >= 80), r
        if "elderly_alone" in tags[r.pk]:
            assert a >= 65 and sizes[r.household_id] == 1
        if "migrant_worker" in tags[r.pk]:
            assert r.residence_status == "floating" and 16 <= a < 60
        if tags[r.pk] & {"minor_at_risk", "left_behind_child"}:
            assert a < 18
    counts = Counter(code for codes in tags.values() for code in codes)
    n = len(residents)
    assert 0.02 <= counts["disabled"] / n <= 0.11
    assert counts["low_income"] and counts["chronic_illness"] and counts["migrant_worker"]
    for tag in ResidentTag.objects.all():
        assert tag.legal_basis == "statutory_duty" and tag.source
        assert tag.valid_from <= REFERENCE_DATE
        assert tag.valid_until is None or tag.valid_until > tag.valid_from


def test_every_id_number_is_valid_unique_and_agrees_with_the_resident(demo):
    seen = set()
    with_phone = 0
    for r in Resident.objects.all():
        value = open_id_number(r.id_number_cipher)
        parsed = parse_id_number(value, today=REFERENCE_DATE)
        assert (parsed.birth_date, parsed.gender) == (r.birth_date, r.gender)
        assert parsed.region[:2] in {"37", *{c[:2] for c in names.OTHER_PROVINCE_REGIONS}}
        assert r.id_number_index == id_number_index(value)
        assert r.id_last4_index == last4_index(value[-4:])
        assert r.id_number_masked == mask_id_number(value)
        seen.add(value)
        if r.phone_cipher:
            with_phone += 1
            phone = open_phone(r.phone_cipher)
            assert MOBILE.match(phone)
            assert (r.phone_index, r.phone_masked) == (phone_index(phone), mask_phone(phone))
    assert len(seen) == Resident.objects.count()
    # Most were born here; masks keep only the last four, so read the numbers themselves.
    assert sum(value.startswith("370102") for value in seen) > len(seen) / 2
    bases = Counter(SensitiveFieldBasis.objects.values_list("field", "basis", "note"))
    assert bases == {("id_number", "statutory_duty", "demo"): len(seen),
                     ("phone", "statutory_duty", "demo"): with_phone}


def test_no_id_number_or_phone_is_stored_in_clear(demo):
    plain_ids, plain_phones = set(), set()
    for cipher, phone in Resident.objects.values_list("id_number_cipher", "phone_cipher"):
        plain_ids.add(open_id_number(cipher))
        if phone:
            plain_phones.add(open_phone(phone))
    dump = []
    with connection.cursor() as cursor:
        for table in ("people_resident", "people_household", "people_residenttag",
                      "people_sensitivefieldbasis", "audit_auditentry", "accounts_user"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dump.append(repr(cursor.fetchall()))
    runs = re.findall(r"[\dX]{11,}", "".join(dump))
    windows = {run[i:i + size] for run in runs for size in (11, 18)
               for i in range(len(run) - size + 1)}
    assert not windows & plain_ids
    assert not windows & plain_phones


def district_snapshot() -> str:
    """Everything the seed decides, in a stable order, hashed."""
    rows = [
        sorted(Area.objects.values_list("code", "name", "path")),
        sorted(Building.objects.values_list("code", "name", "address")),
        sorted((r.household.building.code, r.household.unit, r.household.room, r.name,
                str(r.birth_date), r.gender, open_id_number(r.id_number_cipher),
                open_phone(r.phone_cipher) if r.phone_cipher else "", r.relation,
                r.residence_status, r.ethnicity, r.occupation)
               for r in Resident.objects.select_related("household__building")),
        sorted((r.resident.id_number_index, r.tag.code, r.source, str(r.valid_from),
                str(r.valid_until)) for r in ResidentTag.objects.select_related("resident", "tag")),
        sorted(User.objects.values_list("username", "display_name", "is_demo")),
        sorted(RoleAssignment.objects.values_list("user__username", "role", "area__code")),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def plan_fingerprint(households: int, seed: int) -> str:
    layout = plan_layout(households=households, seed=seed)
    digest = hashlib.sha256(repr(layout).encode())
    for plan in iter_grid_plans(layout):
        digest.update(repr(plan).encode())
    digest.update(repr(plan_accounts(layout)).encode())
    return digest.hexdigest()


def test_the_same_seed_plans_the_same_district_and_another_seed_another():
    assert plan_fingerprint(HOUSEHOLDS, SEED) == plan_fingerprint(HOUSEHOLDS, SEED)
    assert plan_fingerprint(HOUSEHOLDS, SEED) != plan_fingerprint(HOUSEHOLDS, SEED + 1)


def test_a_forced_rebuild_with_the_same_seed_gives_the_same_district(demo, var_dir):
    before, logins = district_snapshot(), read_logins(var_dir)
    output = build(force=True)
    assert str(HOUSEHOLDS) in output
    assert district_snapshot() == before
    assert read_logins(var_dir) == logins
    assert AuditEntry.objects.filter(object_type="demo").count() == 2


def test_another_seed_builds_another_district(demo, var_dir):
    first_names = sorted(Resident.objects.values_list("name", flat=True))
    first_ids = {open_id_number(c) for c in Resident.objects.values_list("id_number_cipher",
                                                                         flat=True)}
    call_command("demo", households=HOUSEHOLDS, seed=SEED + 1, force=True,
                 stdout=StringIO(), stderr=StringIO())
    assert sorted(Resident.objects.values_list("name", flat=True)) != first_names
    second_ids = {open_id_number(c) for c in Resident.objects.values_list("id_number_cipher",
                                                                          flat=True)}
    assert len(first_ids & second_ids) < len(second_ids) / 10


def test_the_logins_file_lists_every_demo_account_with_its_area(demo, var_dir):
    with open(var_dir / "demo-logins.csv", newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(LOGINS_COLUMNS)
    rows = read_logins(var_dir)
    users = {u.username: u for u in User.objects.all()}
    assert {r["username"] for r in rows} == set(users)
    assert all(u.is_demo for u in users.values())
    grants = {(g.user.username, g.role, g.area.code)
              for g in RoleAssignment.objects.select_related("user", "area")}
    for row in rows:
        assert row["role"] in Role.values
        assert (row["username"], row["role"], row["area_code"]) in grants
        assert row["password"] == DEMO_PASSWORD
        assert bool(row["totp_secret"]) == (row["role"] in ADMIN_ROLES)

    grid_codes = set(Area.objects.filter(level="grid").values_list("code", flat=True))
    roles = Counter(row["role"] for row in rows)
    workers = [r for r in rows if "grid" in r["role"] and "leader" not in r["role"]]
    assert {r["area_code"] for r in workers} == grid_codes
    assert len(workers) == roles["grid_worker"] == 2 * len(grid_codes)
    assert roles["grid_leader"] == len(grid_codes)
    assert roles["volunteer"] == 2 * len(grid_codes)
    assert roles["community_staff"] == 2 * Area.objects.filter(level="community").count()
    assert roles["street_admin"] == Area.objects.filter(level="street").count()
    assert (roles["district_admin"], roles["system_admin"], roles["researcher"]) == (1, 1, 1)
    assert roles["department_handler"] == 5
    assert roles["resident"] >= 2


def test_every_demo_account_signs_in_with_the_demo_password(demo, var_dir):
    rows = read_logins(var_dir)
    # One Argon2 hash for all: checking it once per role proves it for every account.
    assert User.objects.values("password").distinct().count() == 1
    assert not User.objects.filter(is_active=False).exists()
    request = RequestFactory().post("/accounts/login/")
    for role in sorted({r["role"] for r in rows}):
        row = next(r for r in rows if r["role"] == role)
        user = authenticate(request, username=row["username"], password=row["password"])
        assert user is not None and user.username == row["username"], role
        assert user.display_name


def test_admin_totp_secrets_give_codes_their_devices_accept(demo, var_dir):
    admins = [r for r in read_logins(var_dir) if r["totp_secret"]]
    assert {r["role"] for r in admins} == {str(role) for role in ADMIN_ROLES}
    for row in admins:
        device = TOTPDevice.objects.get(user__username=row["username"], confirmed=True)
        code = f"{totp(base64.b32decode(row['totp_secret'])):06d}"
        assert device.verify_token(code)
    assert TOTPDevice.objects.count() == len(admins)


def test_departments_residents_and_volunteers_are_wired_up(demo):
    district = Area.objects.get(level="district")
    departments = Department.objects.all()
    assert {d.kind for d in departments} == {"police", "fire", "civil_affairs",
                                             "urban_management", "property"}
    for department in departments:
        assert department.area == district
        handler = department.members.get()
        assert handler.role_assignments.get().department == department
    for grant in RoleAssignment.objects.filter(role="resident").select_related(
            "household__householder", "area"):
        assert grant.household.grid == grant.area
        assert grant.user.display_name == grant.household.householder.name


def test_zs_finds_zhang_san_in_the_first_grid(demo):
    first_grid = Area.objects.filter(level="grid").order_by("code").first()
    worker = User.objects.get(username=f"gw-{first_grid.code}-1")
    found = search_residents(worker, "zs")
    assert "张三" in [r.name for r in found]
    zhang_san = Resident.objects.filter(name="张三", grid=first_grid).first()
    assert zhang_san is not None and zhang_san.gender == "M"
    for grid in Area.objects.filter(level="grid"):
        featured = {n for n, *_ in names.FEATURED_NAMES}
        assert Resident.objects.filter(grid=grid, name__in=featured).count() >= 3


def test_it_audits_the_build_and_every_role_it_grants(demo):
    entry = AuditEntry.objects.get(object_type="demo")
    assert entry.action == "system"
    assert entry.changes["households"] == HOUSEHOLDS
    assert entry.changes["residents"] == Resident.objects.count()
    assert entry.changes["tags"] == ResidentTag.objects.count()
    assert entry.changes["accounts"] == User.objects.count()
    assert entry.changes["areas"] == Area.objects.count()
    grants = AuditEntry.objects.filter(object_type="role_assignment", action="create")
    assert grants.count() == User.objects.filter(is_demo=True).count()
    worker = grants.get(changes__username="gw-370102001001001-1")
    assert worker.changes["role"] == "grid_worker"
    assert worker.area_path.endswith("370102001001001/")
    assert verify_chain()[1] is None


def test_it_refuses_a_database_with_accounts_that_are_not_demo_accounts(db, var_dir):
    User.objects.create_user("real-person", password="Another-Passw0rd")
    with pytest.raises(CommandError, match="--force"):
        build()
    assert not Area.objects.exists()
    assert not (var_dir / "demo-logins.csv").exists()

    build(force=True)
    assert Household.objects.count() == HOUSEHOLDS
    assert User.objects.filter(username="real-person", is_demo=False).exists()


def test_it_refuses_a_database_with_a_district(db, var_dir):
    make_area(Area.Level.DISTRICT, "370103", "另一个区")
    with pytest.raises(CommandError):
        build()
    assert list(Area.objects.values_list("code", flat=True)) == ["370103"]


def test_if_empty_leaves_an_existing_district_alone(demo, var_dir):
    before = district_snapshot()
    entries = AuditEntry.objects.count()
    output = build(if_empty=True)
    assert output.strip()
    assert district_snapshot() == before
    assert AuditEntry.objects.count() == entries


def test_if_empty_builds_when_only_a_superuser_exists(db, var_dir):
    """`make run` after `createsuperuser`: no district yet, so the demo is built."""
    User.objects.create_superuser("admin", password="Another-Passw0rd")
    build(if_empty=True)
    assert Household.objects.count() == HOUSEHOLDS
    assert User.objects.filter(username="admin", is_demo=False).exists()


def test_it_rejects_a_district_too_small_to_make_sense(db, var_dir):
    with pytest.raises(CommandError):
        call_command("demo", households=5, stdout=StringIO(), stderr=StringIO())
