"""Phones as people type them are taken; anything else is left for the validator to refuse."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.phones import normalize_phone


@pytest.mark.parametrize("typed", ["13900000003", "+86 139 0000 0003", "139-0000-0003", "0086 13900000003",
                                   " 139 0000 0003 ", "(139)0000-0003", "86-139-0000-0003", "+8613900000003"])
def test_typed_forms_become_the_plain_number(typed):
    assert normalize_phone(typed) == "13900000003"


@pytest.mark.parametrize("other", ["+1 650 555 0100", "010-12345678", "139000000", "abc", ""])
def test_other_numbers_are_not_turned_into_mobile_numbers(other):
    result = normalize_phone(other)
    assert not (isinstance(result, str) and len(result) == 11 and result.startswith("1") and result != other)


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_a_plain_mobile_number_is_unchanged(phone):
    assert normalize_phone(phone) == phone
    assert normalize_phone(f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}") == phone


async def test_staff_log_in_with_a_typed_phone(client, db):
    from app.auth.roles import Role
    from tests import factories

    await factories.user(db, (Role.grid_worker, None), password="right password", phone="13900000077")
    await db.commit()
    r = await client.post("/api/v1/auth/login", json={"phone": "+86 139-0000-0077", "password": "right password"})
    assert r.status_code == 200, r.text
