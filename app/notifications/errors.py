"""Error codes of notifications."""

from app.core.errors import define

TEMPLATE_UNKNOWN = define("template_unknown", 422, "订阅消息模板不存在", "Unknown notification template")
