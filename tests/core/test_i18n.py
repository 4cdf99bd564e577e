"""Validation messages speak the request's language (zh-CN by default), with the error's own values."""

import re
import typing
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import core_schema

from app.core.i18n import (
    FALLBACK,
    PATTERN_TEXTS,
    VALIDATION_TEXTS,
    Text,
    define_validation,
    invalid,
    validation_message,
)
from app.core.phones import PHONE_PATTERN, MobilePhone
from app.registry import schemas as _registry_schemas  # noqa: F401  (registers the registry's types)
from app.registry.areas import AREA_TEXTS

PYDANTIC_TYPES = set(typing.get_args(core_schema.ErrorType))
REGISTRY_TYPES = {*AREA_TEXTS, "owner_multiple", "correction_empty"}  # the domains' own


class Form(BaseModel):
    name: Annotated[str, Field(min_length=2, max_length=5)]
    count: Annotated[int, Field(ge=1, le=9)]
    kind: Literal["owner", "tenant"]
    day: date
    ref: UUID
    phone: MobilePhone
    tags: Annotated[list[str], Field(max_length=2)] = []


def _errors(**data) -> list[dict]:
    with pytest.raises(ValidationError) as exc:
        Form(**{"name": "张三", "count": 1, "kind": "owner", "day": "2026-01-01",
                "ref": "00000000-0000-0000-0000-000000000000", "phone": "13800138000", **data})
    return exc.value.errors()


@pytest.mark.parametrize("data, zh, en", [
    ({"name": "张"}, "至少2个字符", "At least 2 characters"),
    ({"name": "张三李四王五"}, "最多5个字符", "At most 5 characters"),
    ({"count": 0}, "应大于或等于1", "Input should be greater than or equal to 1"),
    ({"count": 10}, "应小于或等于9", "Input should be less than or equal to 9"),
    ({"count": "many"}, "应为整数", "Input should be an integer"),
    ({"count": 1.5}, "应为整数，不能有小数", "Input should be an integer, without a fraction"),
    ({"kind": "guest"}, "应为以下之一：'owner' or 'tenant'", "Input should be one of 'owner' or 'tenant'"),
    ({"day": "yesterday"}, "应为日期（YYYY-MM-DD）", "Input should be a date (YYYY-MM-DD)"),
    ({"ref": "x"}, "应为有效的 UUID", "Input should be a valid UUID"),
    ({"phone": "12345"}, "手机号须为11位手机号码（1开头，第二位3-9）",
     "The phone must be an 11-digit mainland mobile number (1, then 3-9)"),
    ({"tags": ["a", "b", "c"]}, "最多2项", "At most 2 items"),
])
def test_pydantic_errors_in_both_languages_with_their_values(data, zh, en):
    [error] = _errors(**data)
    assert validation_message(error, english_=False) == zh
    assert validation_message(error, english_=True) == en


def test_a_missing_field_names_no_field_in_its_message_the_location_does():
    with pytest.raises(ValidationError) as exc:
        Form()
    errors = exc.value.errors()
    assert {e["loc"][0] for e in errors} == {"name", "count", "kind", "day", "ref", "phone"}
    assert {validation_message(e, english_=False) for e in errors} == {"缺少必填项"}


def test_phones_as_typed_are_normalised_before_the_pattern():
    form = Form(name="张三", count=1, kind="owner", day="2026-01-01", ref="00000000-0000-0000-0000-000000000000",
                phone="+86 139-0000-0003")
    assert form.phone == "13900000003"
    assert PHONE_PATTERN in PATTERN_TEXTS


def test_every_text_names_a_real_type_and_only_placeholders_of_its_context():
    own = {"value_error", "assertion_error"}
    for type_, text in VALIDATION_TEXTS.items():
        assert text.zh and text.en, type_
        # A type named here is pydantic's (a typo would never match), or one a domain registered.
        assert type_ in PYDANTIC_TYPES or type_ in REGISTRY_TYPES, type_
        if type_ in own:
            continue
        zh_fields = set(re.findall(r"{(\w+)}", text.zh))
        assert zh_fields == set(re.findall(r"{(\w+)}", text.en)), type_


def test_an_unknown_type_falls_back_without_losing_pydantic_english():
    error = {"type": "no_such_type_for_test", "msg": "Something precise", "loc": ("x",)}
    assert validation_message(error, english_=False) == FALLBACK.zh
    assert validation_message(error, english_=True) == "Something precise"


def test_domain_types_register_once_and_raise_with_their_context():
    text = define_validation("test_quota_exceeded", "最多上传{limit}个文件", "At most {limit} files")
    with pytest.raises(ValueError):
        define_validation("test_quota_exceeded", "x", "y")
    error = invalid("test_quota_exceeded", limit=3)
    assert error.type == "test_quota_exceeded" and str(error) == "At most 3 files"
    assert validation_message({"type": error.type, "ctx": error.context}, english_=False) == "最多上传3个文件"
    assert text.render(True, limit=3) == "At most 3 files"
    del VALIDATION_TEXTS["test_quota_exceeded"]


@given(st.dictionaries(st.sampled_from(["min_length", "gt", "expected", "other"]), st.text(max_size=20)))
def test_render_fills_what_it_has_and_never_raises(params):
    text = Text("至少{min_length}，大于{gt}，{expected}", "At least {min_length}, > {gt}, {expected}")
    out = text.render(False, **params)
    for key in ("min_length", "gt", "expected"):
        assert (params[key] in out) if key in params else ("{" + key + "}" in out)


@pytest.fixture
async def form_client(app):
    @app.post("/probe/form")
    async def probe_form(form: Form):
        return form

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def test_the_api_answers_validation_in_the_request_language(form_client):
    body = {"name": "张", "count": 1, "kind": "owner", "day": "2026-01-01",
            "ref": "00000000-0000-0000-0000-000000000000", "phone": "139-0000-0003"}
    zh = (await form_client.post("/probe/form", json=body)).json()["error"]
    assert zh["message"] == "请求参数有误"
    assert zh["details"] == [{"loc": ["body", "name"], "type": "string_too_short", "msg": "至少2个字符"}]
    en = (await form_client.post("/probe/form", json=body, headers={"Accept-Language": "en"})).json()["error"]
    assert en["message"] == "The request is invalid"
    assert en["details"] == [{"loc": ["body", "name"], "type": "string_too_short", "msg": "At least 2 characters"}]
    broken = await form_client.post("/probe/form", content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.json()["error"]["details"][0]["msg"] == "JSON 格式错误"
