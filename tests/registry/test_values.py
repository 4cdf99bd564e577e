"""Pure rules: masking of personal data and area parsing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.registry.areas import MAX_AREA_CENTI, AreaError, format_area, parse_area
from app.registry.masking import mask_name, mask_phone


@pytest.mark.parametrize(
    "name, masked",
    [("黄军强", "黄*强"), ("邱华", "邱*"), ("欧阳小明", "欧**明"), ("王", "王"), ("", ""), (None, None),
     ("永定电力公司", "永****司")],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    "phone, masked",
    [("13184986729", "131****6729"), (None, None), ("", ""), ("1380000", "*******")],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    "text, centi", [("86.50", 8650), ("86.5", 8650), ("86", 8600), (" 1,234.56 ", 123456), ("0.01", 1)]
)
def test_parse_area(text, centi):
    assert parse_area(text) == centi


@pytest.mark.parametrize(
    "text, code",
    [("八十", "area_invalid"), ("", "area_invalid"), ("NaN", "area_invalid"), ("inf", "area_invalid"),
     ("0", "area_not_positive"), ("-12.00", "area_not_positive"), ("88.888", "area_precision"),
     ("0.001", "area_precision"), ("1e20", "area_invalid"), ("8.65E1", "area_invalid"), ("1_000", "area_invalid"),
     ("100000.01", "area_too_large"), ("99999999.99", "area_too_large"), ("1" + "0" * 40, "area_too_large")],
)
def test_parse_area_refuses(text, code):
    with pytest.raises(AreaError) as exc:
        parse_area(text)
    assert exc.value.code == code


def test_parse_area_upper_bound_is_inclusive():
    assert parse_area("100000.00") == 10_000_000 == MAX_AREA_CENTI


@given(st.integers(min_value=1, max_value=MAX_AREA_CENTI))
def test_area_round_trip(centi):
    text = format_area(centi)
    assert parse_area(text) == centi and len(text.split(".")[1]) == 2
