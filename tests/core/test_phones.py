"""Phones as people type them are taken; anything else is left for the validator to refuse. In free text
shown to the public or logged, phones are hidden and identifiers left whole."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.phones import PHONE_IN_TEXT, hide_phones, normalize_phone


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


@pytest.mark.parametrize("text", ["请致电13900000003联系", "电话：+86 139 0000 0003。", "139-0000-0003 王师傅",
                                  "(86)13900000003", "两个号码13900000003和15811112222"])
def test_phones_in_free_text_are_hidden(text):
    hidden = hide_phones(text)
    assert "[电话已隐去]" in hidden and not PHONE_IN_TEXT.search(hidden), hidden


@pytest.mark.parametrize("identifier", ["a1381234-5678-4abc-8def-0123456789ab",  # a UUID: 1381234-5678
                                        "d86aa3eb-1381-2345-678a-0138123456ab",
                                        "089b5df7a5a7b9468c246c3a5bbf567313ac7df88c95b8bd6a13800000003bcd",  # a SHA-256
                                        "1937-4099-455D-0957"])  # a receipt code: 1937-4099-455
def test_identifiers_are_left_whole(identifier):
    assert PHONE_IN_TEXT.search(identifier)  # the digits alone would read as a phone
    for text in (identifier, f"/public/receipts/{identifier}", f"回执 {identifier}，电话13900000003"):
        hidden = hide_phones(text)
        assert identifier in hidden and "13900000003" not in hidden, hidden


@given(st.uuids(), st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "请致电", "id "]))
def test_uuids_survive_and_phones_do_not(uuid, phone, words):
    hidden = hide_phones(f"{words}{uuid} {words}{phone}。")
    assert str(uuid) in hidden and phone not in hidden
