"""Registry writes through the actions: validation, encryption at rest, scope and audit."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import translation

from warmgrid.audit.models import AuditEntry
from warmgrid.errors import Conflict, Forbidden, ValidationFailed
from warmgrid.lib.idnumber import make_id_number
from warmgrid.people.actions import (
    HouseholdInput,
    ResidentInput,
    do_create_household,
    do_create_resident,
    do_reveal_field,
    do_tag_resident,
    do_update_household,
    do_update_resident,
)
from warmgrid.people.models import Resident, Tag

TODAY = dt.date(2026, 11, 26)
NEW_ID = make_id_number("370102", dt.date(1961, 5, 4), 37)  # a man born 1961-05-04


def resident_input(**overrides):
    values = {"name": "赵六", "id_number": NEW_ID, "phone": "13600001111",
              "relation": "spouse", "residence_status": "hukou",
              "id_number_basis": "statutory_duty", "phone_basis": "consent"}
    return ResidentInput(**(values | overrides))


def test_it_registers_a_resident_deriving_birth_date_and_gender(world):
    resident = do_create_resident(actor=world.worker_a, household=world.household_a,
                                  data=resident_input(), today=TODAY)
    resident.refresh_from_db()
    assert resident.birth_date == dt.date(1961, 5, 4)
    assert resident.gender == "M"
    assert resident.id_number_masked == "*" * 14 + NEW_ID[-4:]
    assert resident.phone_masked == "136****1111"
    assert (resident.name_pinyin, resident.name_initials) == ("zhaoliu", "zl")
    assert set(resident.field_bases.values_list("field", flat=True)) == {"id_number", "phone"}


def test_no_id_number_or_phone_is_stored_in_clear(world):
    do_create_resident(actor=world.worker_a, household=world.household_a,
                       data=resident_input(), today=TODAY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_resident")
        dumped = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM audit_auditentry")
        dumped += repr(cursor.fetchall())
    assert NEW_ID not in dumped
    assert "13600001111" not in dumped
    assert world.zhang_san.id_number_plain not in dumped


@pytest.mark.parametrize(
    ("id_number", "message_en", "message_zh"),
    [
        ("37010219610504", "An ID number has 18 characters; this one has 14.", "18 位"),
        (NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1"),
         "The last character does not match the check digit", "校验"),
        ("990102196105040379", "are not a valid region code", "地区"),
        ("370102196102300379", "are not a real birth date", "出生日期"),
    ],
)
def test_each_id_number_failure_has_its_own_message_in_both_languages(
        world, id_number, message_en, message_zh):
    for language, expected in (("en", message_en), ("zh-hans", message_zh)):
        with translation.override(language), pytest.raises(ValidationFailed) as caught:
            do_create_resident(actor=world.worker_a, household=world.household_a,
                               data=resident_input(id_number=id_number), today=TODAY)
        assert expected in caught.value.fields["id_number"][0]


def test_an_entered_birth_date_must_agree_with_the_id_number(world):
    with pytest.raises(ValidationFailed) as caught:
        do_create_resident(actor=world.worker_a, household=world.household_a,
                           data=resident_input(birth_date=dt.date(1961, 5, 5), gender="F"),
                           today=TODAY)
    assert set(caught.value.fields) == {"birth_date"} or set(caught.value.fields) >= {"birth_date"}
    assert "gender" in caught.value.fields


def test_a_sensitive_field_needs_a_legal_basis(world):
    with pytest.raises(ValidationFailed) as caught:
        do_create_resident(actor=world.worker_a, household=world.household_a,
                           data=resident_input(id_number_basis=None), today=TODAY)
    assert "id_number_basis" in caught.value.fields


def test_the_same_person_cannot_be_registered_twice(world):
    do_create_resident(actor=world.worker_a, household=world.household_a,
                       data=resident_input(), today=TODAY)
    with pytest.raises(Conflict) as caught:
        do_create_resident(actor=world.worker_a, household=world.household_a,
                           data=resident_input(name="赵六六"), today=TODAY)
    assert caught.value.code == "duplicate_id_number"


def test_a_worker_cannot_write_outside_their_grid(world):
    with pytest.raises(Forbidden):
        do_create_resident(actor=world.worker_a, household=world.household_b,
                           data=resident_input(), today=TODAY)
    with pytest.raises(Forbidden):
        do_update_resident(actor=world.worker_a, resident=world.li_si,
                           data=ResidentInput(name="改名"), today=TODAY)
    assert Resident.objects.get(pk=world.li_si.pk).name == "李四"


def test_supervisors_read_but_do_not_edit(world):
    with pytest.raises(Forbidden):
        do_update_resident(actor=world.street_admin, resident=world.zhang_san,
                           data=ResidentInput(occupation="退休"), today=TODAY)


def test_a_correction_is_audited_with_sensitive_values_masked(world):
    new_phone = "13700002222"
    do_update_resident(actor=world.worker_a, resident=world.zhang_san,
                       data=ResidentInput(name="张叁", phone=new_phone, phone_basis="consent"),
                       today=TODAY)
    entry = AuditEntry.objects.filter(action="update", object_type="resident").latest("seq")
    assert entry.changes["name"] == ["张三", "张叁"]
    assert entry.changes["phone"] == ["138****5678", "137****2222"]
    assert entry.actor_username == "worker_a"
    assert entry.area_path == world.grid_a.path
    assert new_phone not in repr(entry.changes)


def test_an_unchanged_save_writes_no_audit_entry(world):
    before = AuditEntry.objects.count()
    do_update_resident(actor=world.worker_a, resident=world.zhang_san,
                       data=ResidentInput(name="张三"), today=TODAY)
    assert AuditEntry.objects.count() == before


def test_reveal_needs_a_role_a_reason_and_is_audited(world):
    with pytest.raises(Forbidden):
        do_reveal_field(actor=world.worker_a, resident=world.zhang_san,
                        field_name="id_number", reason="核实身份")
    with pytest.raises(ValidationFailed):
        do_reveal_field(actor=world.leader_a, resident=world.zhang_san,
                        field_name="id_number", reason=" ")
    value = do_reveal_field(actor=world.leader_a, resident=world.zhang_san,
                            field_name="id_number", reason="办理高龄补贴核实身份")
    assert value == world.zhang_san.id_number_plain
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.reason == "办理高龄补贴核实身份"
    assert entry.changes["value"] == world.zhang_san.id_number_masked
    assert value not in repr(entry.changes)


def test_a_grid_worker_may_reveal_a_phone_in_their_grid_only(world):
    assert do_reveal_field(actor=world.worker_a, resident=world.zhang_san, field_name="phone",
                           reason="电话回访") == "13812345678"
    with pytest.raises(Forbidden):
        do_reveal_field(actor=world.worker_a, resident=world.li_si, field_name="phone",
                        reason="电话回访")


def test_moving_a_household_to_another_grid_moves_its_people_and_tags(world):
    do_update_household(actor=world.community_staff, household=world.household_a,
                        data=HouseholdInput(), building=world.building_b)
    world.zhang_san.refresh_from_db()
    assert world.zhang_san.grid_id == world.grid_b.pk
    assert world.zhang_san.area_path == world.grid_b.path
    assert set(world.zhang_san.tags.values_list("area_path", flat=True)) == {world.grid_b.path}


def test_a_room_is_one_household(world):
    with pytest.raises(Conflict):
        do_create_household(actor=world.worker_a, building=world.building_a,
                            data=HouseholdInput(unit="2", room="301"))


def test_tags_carry_source_and_period_and_do_not_overlap(world):
    disabled = Tag.objects.get(code="disabled")
    membership = do_tag_resident(actor=world.worker_a, resident=world.zhang_san, tag=disabled,
                                 source="残联名册 2026-10", valid_from=dt.date(2026, 10, 1),
                                 valid_until=None, legal_basis="statutory_duty")
    assert membership.area_path == world.grid_a.path
    with pytest.raises(Conflict):
        do_tag_resident(actor=world.worker_a, resident=world.zhang_san, tag=disabled,
                        source="走访", valid_from=dt.date(2026, 11, 1), valid_until=None,
                        legal_basis="statutory_duty")
    with pytest.raises(ValidationFailed) as caught:
        do_tag_resident(actor=world.worker_a, resident=world.zhang_san,
                        tag=Tag.objects.get(code="low_income"), source="",
                        valid_from=dt.date(2026, 10, 1), valid_until=dt.date(2026, 9, 1),
                        legal_basis="nonsense")
    assert set(caught.value.fields) == {"source", "valid_until", "legal_basis"}


def test_adding_an_identifier_later_also_needs_a_legal_basis(world):
    with pytest.raises(ValidationFailed) as caught:
        do_update_resident(actor=world.worker_a, resident=world.zhang_san,
                           data=ResidentInput(phone="13500001234"),
                           today=TODAY)
    assert "phone_basis" in caught.value.fields
    do_update_resident(actor=world.worker_a, resident=world.zhang_san,
                       data=ResidentInput(phone="13500001234", phone_basis="consent"), today=TODAY)
    # Once the basis is on file, a later correction needs no new one.
    do_update_resident(actor=world.worker_a, resident=world.zhang_san,
                       data=ResidentInput(phone="13500004321"), today=TODAY)
    assert Resident.objects.get(pk=world.zhang_san.pk).phone_masked == "135****4321"


def test_birth_date_and_gender_follow_the_id_number_on_file(world):
    with pytest.raises(ValidationFailed) as caught:
        do_update_resident(actor=world.worker_a, resident=world.zhang_san,
                           data=ResidentInput(birth_date=dt.date(1951, 3, 8), gender="F"),
                           today=TODAY)
    assert set(caught.value.fields) == {"birth_date", "gender"}
    # Restating the same gender is not a change and is fine.
    do_update_resident(actor=world.worker_a, resident=world.zhang_san,
                       data=ResidentInput(gender="M"), today=TODAY)
    # The right birth date is refused like a wrong one: no answer tells a guess apart.
    with pytest.raises(ValidationFailed) as caught:
        do_update_resident(actor=world.worker_a, resident=world.zhang_san,
                           data=ResidentInput(birth_date=dt.date(1950, 3, 8)), today=TODAY)
    assert set(caught.value.fields) == {"birth_date"}
