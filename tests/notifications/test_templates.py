"""Template catalogue and WeChat field truncation (property-based)."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.notifications.templates import (
    ELLIPSIS,
    LIMITS,
    TEMPLATES,
    FieldType,
    FieldValueInvalid,
    prepare,
    truncate,
    wechat_data,
)

DESIGN_KEYS = {"plan_published", "ballot_announced", "ballot_cancelled", "ballot_result", "ballot_request_answered", "ballot_open", "ballot_closing", "rectification_assigned", "rectification_overdue",
               "signature_requested", "binding_decided", "record_correction_answered", "project_stage", "questionnaire_published",
               "questionnaire_closing", "opinion_replied", "rectification_update", "feedback_replied"}
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


def test_every_design_template_exists_with_typed_fields():
    assert set(TEMPLATES) == DESIGN_KEYS
    for t in TEMPLATES.values():
        assert t.fields and t.title
        for f in t.fields:
            assert f.key.rstrip("0123456789") == f.type.value  # WeChat names fields by their type


FREE_TEXT = {FieldType.thing, FieldType.name, FieldType.phrase}


@given(text, st.sampled_from(list(FieldType)))
def test_only_free_text_is_cut_and_nothing_is_longer_than_the_limit(value, field_type):
    limit = LIMITS.get(field_type)
    if limit is not None and len(value) > limit and field_type not in FREE_TEXT:
        with pytest.raises(FieldValueInvalid):  # a cut number, code or phone is a different one
            truncate(value, field_type)
        return
    try:
        out = truncate(value, field_type)
    except FieldValueInvalid:
        assert field_type is FieldType.amount  # amounts are checked for their format
        return
    if limit is None:
        assert out == value
    else:
        assert len(out) <= limit
        if len(value) <= limit:
            assert out == value
        else:
            assert len(out) == limit and out.endswith(ELLIPSIS)
            assert value.startswith(out.removesuffix(ELLIPSIS))


@given(st.text(alphabet="老旧小区改造居民表决方案公示", min_size=21, max_size=60))
def test_long_chinese_thing_counts_characters_and_ends_with_ellipsis(value):
    out = truncate(value, "thing")
    assert len(out) == 20 and out.endswith(ELLIPSIS) and out[:19] == value[:19]


def test_limits():
    assert truncate("一二三四五六", "phrase") == "一二三四…"
    assert truncate("张三李四王五赵六孙七周八", "name") == "张三李四王五赵六孙…"
    assert truncate("1" * 32, "number") == "1" * 32
    assert truncate("13800138000", "phone_number") == "13800138000"
    assert truncate("粤B12345X", "car_number") == "粤B12345X"
    assert truncate("2030-05-01 16:00", "time") == "2030-05-01 16:00"


@pytest.mark.parametrize(
    ("value", "field_type"),
    [("1" * 33, "number"), ("A" * 33, "letter"), ("X" * 33, "character_string"), ("1" * 18, "phone_number"),
     ("粤B12345X9", "car_number"), ("!!!!!!", "symbol"), ("¥12345678901", "amount"), ("12,000元", "amount"),
     ("一百元", "amount")],
)
def test_values_that_cannot_be_cut_are_refused(value, field_type):
    with pytest.raises(FieldValueInvalid) as exc:
        truncate(value, field_type)
    assert value not in str(exc.value)  # says which rule, never the value


@pytest.mark.parametrize("value", ["¥12.50", "1200元", "$3", "9999999999", "¥0.5元"])
def test_amounts_in_wechats_format_pass(value):
    assert truncate(value, "amount") == value


def test_wechat_data_names_the_field_it_refuses():
    with pytest.raises(FieldValueInvalid) as exc:
        wechat_data("rectification_overdue", {"thing1": "漏水", "number3": "1" * 40})
    assert "number3" in str(exc.value) and "1" * 33 not in str(exc.value)


def test_prepare_formats_times_in_shanghai_and_refuses_unknown_fields():
    data = prepare("ballot_open", {"thing1": "加装电梯表决", "time3": datetime(2030, 5, 1, 8, 0, tzinfo=UTC)})
    assert data == {"thing1": "加装电梯表决", "time3": "2030-05-01 16:00"}
    with pytest.raises(ValueError):
        prepare("ballot_open", {"thing9": "x"})
    with pytest.raises(ValueError):
        prepare("no_such_template", {})


def test_wechat_data_truncates_each_field():
    out = wechat_data("ballot_open", {"thing1": "关于小区加装电梯及外墙保温改造方案的业主表决", "time3": "2030-05-01 16:00"})
    assert out["thing1"]["value"] == "关于小区加装电梯及外墙保温改造方案的业…"
    assert out["time3"] == {"value": "2030-05-01 16:00"}
