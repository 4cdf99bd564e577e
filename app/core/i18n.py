"""The request's language and the texts that follow it: zh-CN by default, English for ``Accept-Language: en``.

``RequestContextMiddleware`` sets the language of each request; ``english()`` reads it wherever a message
is rendered (error bodies, validation details, import row reports). A ``Text`` holds both languages of one
message with ``{name}`` placeholders.

Validation messages: pydantic writes its own in English. ``VALIDATION_TEXTS`` gives each error type a
text in both languages, formatted with the error's context (``{min_length}``, ``{expected}``...); domains
add the types of their own validators with ``define_validation`` and raise them with ``invalid``, and
say what a ``Field(pattern=...)`` means with ``define_pattern``.
"""

import string
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError

_english: ContextVar[bool] = ContextVar("english", default=False)


def accept_language_is_english(header: str) -> bool:
    return header.strip().lower().startswith("en")


def set_language(accept_language: str):
    """Make the request's language current; returns the token to reset it with."""
    return _english.set(accept_language_is_english(accept_language))


def reset_language(token) -> None:
    _english.reset(token)


def english() -> bool:
    """Whether the current request asked for English."""
    return _english.get()


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def render(self, english_: bool | None = None, **params: Any) -> str:
        """The text in the given language (by default the request's), placeholders filled from ``params``;
        a placeholder with no value stays as written."""
        template = self.en if (english() if english_ is None else english_) else self.zh
        return string.Formatter().vformat(template, (), _Params(params))


VALIDATION_TEXTS: dict[str, Text] = {
    # The request itself
    "missing": Text("缺少必填项", "Field required"),
    "json_invalid": Text("JSON 格式错误", "Invalid JSON"),
    "json_type": Text("应为 JSON 字符串", "JSON input should be a string"),
    "extra_forbidden": Text("不允许的字段", "Extra inputs are not permitted"),
    "model_type": Text("应为对象", "Input should be an object"),
    "model_attributes_type": Text("应为对象", "Input should be an object"),
    "dict_type": Text("应为对象", "Input should be an object"),
    "list_type": Text("应为列表", "Input should be a list"),
    "tuple_type": Text("应为列表", "Input should be a list"),
    "set_type": Text("应为列表", "Input should be a list"),
    "iterable_type": Text("应为列表", "Input should be a list"),
    "none_required": Text("应为空值", "Input should be null"),
    # Numbers
    "int_type": Text("应为整数", "Input should be an integer"),
    "int_parsing": Text("应为整数", "Input should be an integer"),
    "int_parsing_size": Text("整数超出范围", "The integer is out of range"),
    "int_from_float": Text("应为整数，不能有小数", "Input should be an integer, without a fraction"),
    "float_type": Text("应为数字", "Input should be a number"),
    "float_parsing": Text("应为数字", "Input should be a number"),
    "finite_number": Text("应为有限的数字", "Input should be a finite number"),
    "decimal_type": Text("应为数字", "Input should be a number"),
    "decimal_parsing": Text("应为数字", "Input should be a number"),
    "decimal_max_digits": Text("数字最多{max_digits}位", "At most {max_digits} digits"),
    "decimal_max_places": Text("最多{decimal_places}位小数", "At most {decimal_places} decimal places"),
    "decimal_whole_digits": Text("整数部分最多{whole_digits}位", "At most {whole_digits} digits before the point"),
    "greater_than": Text("应大于{gt}", "Input should be greater than {gt}"),
    "greater_than_equal": Text("应大于或等于{ge}", "Input should be greater than or equal to {ge}"),
    "less_than": Text("应小于{lt}", "Input should be less than {lt}"),
    "less_than_equal": Text("应小于或等于{le}", "Input should be less than or equal to {le}"),
    "multiple_of": Text("应为{multiple_of}的倍数", "Input should be a multiple of {multiple_of}"),
    "bool_type": Text("应为布尔值（true 或 false）", "Input should be a boolean"),
    "bool_parsing": Text("应为布尔值（true 或 false）", "Input should be a boolean"),
    # Text
    "string_type": Text("应为字符串", "Input should be a string"),
    "string_unicode": Text("应为有效的 Unicode 字符串", "Input should be a valid Unicode string"),
    "string_too_short": Text("至少{min_length}个字符", "At least {min_length} characters"),
    "string_too_long": Text("最多{max_length}个字符", "At most {max_length} characters"),
    "string_pattern_mismatch": Text("格式不正确", "The format is not valid"),
    "string_not_ascii": Text("只能包含 ASCII 字符", "Only ASCII characters are allowed"),
    "too_short": Text("至少{min_length}项", "At least {min_length} items"),
    "too_long": Text("最多{max_length}项", "At most {max_length} items"),
    "bytes_type": Text("应为字节串", "Input should be bytes"),
    "bytes_too_short": Text("至少{min_length}个字节", "At least {min_length} bytes"),
    "bytes_too_long": Text("最多{max_length}个字节", "At most {max_length} bytes"),
    # Choices
    "enum": Text("应为以下之一：{expected}", "Input should be one of {expected}"),
    "literal_error": Text("应为以下之一：{expected}", "Input should be one of {expected}"),
    "union_tag_invalid": Text("类型标记应为以下之一：{expected_tags}", "The tag should be one of {expected_tags}"),
    "union_tag_not_found": Text("缺少类型标记 {discriminator}", "The tag {discriminator} is missing"),
    # Identifiers, dates and times
    "uuid_type": Text("应为 UUID", "Input should be a UUID"),
    "uuid_parsing": Text("应为有效的 UUID", "Input should be a valid UUID"),
    "uuid_version": Text("UUID 版本应为{expected_version}", "The UUID version should be {expected_version}"),
    "url_type": Text("应为网址", "Input should be a URL"),
    "url_parsing": Text("应为有效的网址", "Input should be a valid URL"),
    "url_syntax_violation": Text("应为有效的网址", "Input should be a valid URL"),
    "url_too_long": Text("网址最多{max_length}个字符", "The URL is longer than {max_length} characters"),
    "url_scheme": Text("网址应以{expected_schemes}开头", "The URL should use {expected_schemes}"),
    "date_type": Text("应为日期（YYYY-MM-DD）", "Input should be a date (YYYY-MM-DD)"),
    "date_parsing": Text("应为日期（YYYY-MM-DD）", "Input should be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": Text("应为日期（YYYY-MM-DD）", "Input should be a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": Text("日期不能带时刻", "The date should have no time of day"),
    "date_past": Text("应为过去的日期", "The date should be in the past"),
    "date_future": Text("应为将来的日期", "The date should be in the future"),
    "time_type": Text("应为时刻（HH:MM:SS）", "Input should be a time (HH:MM:SS)"),
    "time_parsing": Text("应为时刻（HH:MM:SS）", "Input should be a time (HH:MM:SS)"),
    "datetime_type": Text("应为日期时间（ISO 8601）", "Input should be a date and time (ISO 8601)"),
    "datetime_parsing": Text("应为日期时间（ISO 8601）", "Input should be a date and time (ISO 8601)"),
    "datetime_object_invalid": Text("日期时间无效", "The date and time is not valid"),
    "datetime_from_date_parsing": Text("应为日期时间（ISO 8601）", "Input should be a date and time (ISO 8601)"),
    "datetime_past": Text("应为过去的时间", "The time should be in the past"),
    "datetime_future": Text("应为将来的时间", "The time should be in the future"),
    "timezone_naive": Text("时间不能带时区", "The time should have no time zone"),
    "timezone_aware": Text("时间须带时区（如 +08:00）", "The time needs a time zone (such as +08:00)"),
    "time_delta_type": Text("应为时长", "Input should be a duration"),
    "time_delta_parsing": Text("应为时长", "Input should be a duration"),
    # Validators written as plain ValueError or assert (domains should prefer define_validation)
    "value_error": Text("输入值无效", "{error}"),
    "assertion_error": Text("输入值无效", "{error}"),
}

# Any other type: pydantic's own English, and this in Chinese.
FALLBACK = Text("输入值无效", "Invalid input")


def define_validation(type_: str, zh: str, en: str) -> Text:
    """Register a validation error type of a domain's own validators (raise it with ``invalid``)."""
    if type_ in VALIDATION_TEXTS:
        raise ValueError(f"validation type {type_!r} is already registered")
    VALIDATION_TEXTS[type_] = text = Text(zh, en)
    return text


# Texts for particular patterns of ``string_pattern_mismatch`` (a phone number says what a phone must be).
PATTERN_TEXTS: dict[str, Text] = {}


def define_pattern(pattern: str, zh: str, en: str) -> None:
    """Say in words what a ``Field(pattern=...)`` asks for; its mismatches get this message."""
    PATTERN_TEXTS[pattern] = Text(zh, en)


def invalid(type_: str, **context: Any) -> PydanticCustomError:
    """The error a validator raises for a registered type: ``raise invalid("phone_invalid")``."""
    text = VALIDATION_TEXTS[type_]
    return PydanticCustomError(type_, text.en, context or None)


def validation_message(error: dict[str, Any], english_: bool | None = None) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in the request's language."""
    ctx = error.get("ctx") or {}
    text = VALIDATION_TEXTS.get(error.get("type", ""))
    if error.get("type") == "string_pattern_mismatch":
        text = PATTERN_TEXTS.get(ctx.get("pattern", ""), text)
    if text is None:
        return error.get("msg", FALLBACK.en) if (english() if english_ is None else english_) else FALLBACK.zh
    return text.render(english_, **{key: str(value) for key, value in ctx.items()})
