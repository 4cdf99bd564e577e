"""Notification templates (docs/domain.md) and WeChat subscribe-message field limits. Pure.

Each template key names one WeChat subscribe-message template: its data fields are named
``<type><n>`` as WeChat names them (``thing1``, ``time2``); the template id per key comes from
``settings.wechat_templates`` because it differs between mini-program accounts.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from app.core.clock import SHANGHAI

ELLIPSIS = "…"


class FieldType(StrEnum):
    thing = "thing"  # free text
    number = "number"  # digits, optionally with a decimal point
    letter = "letter"  # Latin letters
    symbol = "symbol"  # punctuation
    character_string = "character_string"  # digits, letters and punctuation
    time = "time"  # 24-hour time, optionally with a date
    date = "date"
    amount = "amount"  # money, one currency sign and digits
    phone_number = "phone_number"
    car_number = "car_number"
    name = "name"  # a person's name
    phrase = "phrase"  # up to 5 Chinese characters


# WeChat's maximum length in characters (a CJK character counts as one). Types absent here have a format,
# not a length.
LIMITS: dict[FieldType, int] = {
    FieldType.thing: 20,
    FieldType.name: 10,
    FieldType.phrase: 5,
    FieldType.character_string: 32,
    FieldType.number: 32,
    FieldType.letter: 32,
    FieldType.symbol: 5,
    FieldType.phone_number: 17,
    FieldType.car_number: 8,
}
# Only free text may be cut, and shows it with "…". A cut number, code, phone or plate is a different
# one (and an ellipsis is outside their character sets), so an over-long value of those is refused.
_TEXT_TYPES = {FieldType.thing, FieldType.name, FieldType.phrase}
# amount: one optional currency sign, at most 10 digits, optional decimals, optionally "元" at the end.
_AMOUNT = re.compile(r"[¥￥$€£]?[0-9]{1,10}(?:\.[0-9]{1,2})?元?")


class FieldValueInvalid(ValueError):
    """A value WeChat would refuse and that cannot be shortened. The message names the rule, never the value."""


def truncate(value: str, field_type: FieldType | str) -> str:
    """``value`` within WeChat's limit for ``field_type``: free text cut, ending with "…"; any other type
    over its limit (or an amount in another format) raises ``FieldValueInvalid``."""
    field_type = FieldType(field_type)
    if field_type is FieldType.amount and not _AMOUNT.fullmatch(value):
        raise FieldValueInvalid("amount: not a currency sign and at most 10 digits")
    limit = LIMITS.get(field_type)
    if limit is None or len(value) <= limit:
        return value
    if field_type in _TEXT_TYPES:
        return value[: limit - 1] + ELLIPSIS
    raise FieldValueInvalid(f"{field_type.value}: longer than {limit} characters")


@dataclass(frozen=True)
class Field:
    key: str  # WeChat's data key, e.g. "thing1"
    type: FieldType
    label: str  # what the field shows, for template set-up in the WeChat console


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    purpose: str  # when it is sent, and to whom
    fields: tuple[Field, ...]

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)


def _t(key: str, title: str, purpose: str, *fields: tuple[str, FieldType, str]) -> Template:
    return Template(key, title, purpose, tuple(Field(k, t, label) for k, t, label in fields))


T = FieldType
TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        _t("plan_published", "改造方案公示", "设计方案公示时，告知本小区的居民",
           ("thing1", T.thing, "项目名称"), ("thing2", T.thing, "方案名称"),
           ("date3", T.date, "公示日期"), ("thing4", T.thing, "温馨提示")),
        _t("ballot_announced", "表决公告", "表决公告发布时（开始前至少15日），告知有表决权的业主",
           ("thing1", T.thing, "表决事项"), ("thing2", T.thing, "小区名称"),
           ("time3", T.time, "开始时间"), ("thing4", T.thing, "温馨提示")),
        _t("ballot_cancelled", "表决取消", "表决取消时，告知收到过公告的业主",
           ("thing1", T.thing, "表决事项"), ("thing2", T.thing, "取消原因"),
           ("time3", T.time, "取消时间")),
        _t("ballot_result", "表决结果公告", "表决的初步结果和最终结果公告时，告知业主",
           ("thing1", T.thing, "表决事项"), ("phrase2", T.phrase, "表决结果"),
           ("thing3", T.thing, "说明"), ("time4", T.time, "公告时间")),
        _t("ballot_request_answered", "表决申请答复", "业主对表决名单的更正申请或对结果的异议得到答复时，告知提出人",
           ("thing1", T.thing, "表决事项"), ("phrase2", T.phrase, "处理结果"),
           ("thing3", T.thing, "答复内容"), ("time4", T.time, "答复时间")),
        _t("ballot_open", "表决开始", "表决开始时，告知有表决权的业主",
           ("thing1", T.thing, "表决事项"), ("thing2", T.thing, "小区名称"),
           ("time3", T.time, "截止时间"), ("thing4", T.thing, "温馨提示")),
        _t("ballot_closing", "表决即将截止", "表决截止前，提醒尚未表决的业主",
           ("thing1", T.thing, "表决事项"), ("time2", T.time, "截止时间"),
           ("thing3", T.thing, "温馨提示")),
        _t("rectification_assigned", "整改任务", "整改单下达时，告知施工单位的人员",
           ("thing1", T.thing, "问题描述"), ("thing2", T.thing, "项目名称"),
           ("time3", T.time, "整改期限"), ("phrase4", T.phrase, "状态")),
        _t("rectification_overdue", "整改逾期", "整改单逾期时，提醒施工单位和监督员",
           ("thing1", T.thing, "问题描述"), ("time2", T.time, "整改期限"),
           ("number3", T.number, "逾期天数"), ("thing4", T.thing, "温馨提示")),
        _t("rectification_update", "整改进展", "整改单有进展（回复、复查、关闭）时，告知相关的人",
           ("thing1", T.thing, "问题描述"), ("phrase2", T.phrase, "整改状态"),
           ("thing3", T.thing, "说明"), ("time4", T.time, "更新时间")),
        _t("feedback_replied", "问题反映答复", "居民反映的问题得到答复或转为整改单时，告知反映人",
           ("thing1", T.thing, "反映内容"), ("phrase2", T.phrase, "处理结果"),
           ("thing3", T.thing, "答复内容"), ("time4", T.time, "答复时间")),
        _t("signature_requested", "待签字确认", "竣工验收需要签字确认时，告知各签字方",
           ("thing1", T.thing, "文件名称"), ("thing2", T.thing, "项目名称"),
           ("time3", T.time, "截止时间")),
        _t("binding_decided", "房屋绑定结果", "房屋绑定申请审核通过、未通过或需重新核实时，告知申请人",
           ("thing1", T.thing, "房屋"), ("phrase2", T.phrase, "审核结果"),
           ("thing3", T.thing, "备注"), ("time4", T.time, "审核时间")),
        _t("record_correction_answered", "登记信息更正结果", "住户申请更正房屋登记信息得到处理时，告知申请人",
           ("thing1", T.thing, "房屋"), ("phrase2", T.phrase, "处理结果"),
           ("thing3", T.thing, "答复内容"), ("time4", T.time, "答复时间")),
        _t("questionnaire_published", "问卷调查", "问卷发布时，告知问卷范围内的居民",
           ("thing1", T.thing, "问卷名称"), ("thing2", T.thing, "小区名称"),
           ("time3", T.time, "截止时间"), ("thing4", T.thing, "温馨提示")),
        _t("questionnaire_closing", "问卷即将截止", "问卷截止前，提醒尚未填写的住户",
           ("thing1", T.thing, "问卷名称"), ("time2", T.time, "截止时间"),
           ("thing3", T.thing, "温馨提示")),
        _t("opinion_replied", "意见答复", "居民对设计方案的意见得到答复时，告知提出人",
           ("thing1", T.thing, "方案名称"), ("phrase2", T.phrase, "答复结果"),
           ("thing3", T.thing, "答复内容"), ("time4", T.time, "答复时间")),
        _t("project_stage", "改造项目进展", "改造项目进入新的阶段时，告知本小区的居民",
           ("thing1", T.thing, "项目名称"), ("phrase2", T.phrase, "当前阶段"),
           ("time3", T.time, "更新时间"), ("thing4", T.thing, "温馨提示")),
    )
}

# The keys as a type: a client switches on them (``wx.requestSubscribeMessage``, ``/me/subscriptions``).
TemplateKey = StrEnum("TemplateKey", {key: key for key in TEMPLATES})  # type: ignore[misc]


def plain_value(value: Any, field_type: FieldType) -> str:
    """A field value as WeChat text; datetimes in Asia/Shanghai."""
    if isinstance(value, datetime):
        local = value.astimezone(SHANGHAI)
        return local.strftime("%Y-%m-%d" if field_type is FieldType.date else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def prepare(template_key: str, data: dict[str, Any]) -> dict[str, str]:
    """Check ``data`` against the template and turn its values into strings (stored in the outbox)."""
    template = TEMPLATES.get(template_key)
    if template is None:
        raise ValueError(f"unknown notification template {template_key!r}")
    unknown = set(data) - {f.key for f in template.fields}
    if unknown:
        raise ValueError(f"fields {sorted(unknown)} are not in template {template_key!r}")
    return {f.key: plain_value(data[f.key], f.type) for f in template.fields if data.get(f.key) is not None}


def wechat_data(template_key: str, data: dict[str, str]) -> dict[str, dict[str, str]]:
    """The ``data`` of a subscribe message: free text cut to its field's limit. A value of another type
    that does not fit raises ``FieldValueInvalid`` naming the field (the message must not be sent)."""
    template = TEMPLATES[template_key]
    out = {}
    for key, value in data.items():
        f = template.field(key)
        if f is not None:
            try:
                out[key] = {"value": truncate(str(value), f.type)}
            except FieldValueInvalid as exc:
                raise FieldValueInvalid(f"{key} ({exc})") from None
    return out
