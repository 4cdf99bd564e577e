"""JSON logs carrying the request id; phone numbers and tokens are redacted before anything is written."""

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from app.core.phones import hide_phones

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Mainland mobile numbers (app.core.phones), bearer tokens / JWTs, and refresh-token-like secrets.
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_SECRET_KEYS = re.compile(r"(?i)((?:refresh_token|access_token|password|session_key|secret|code)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+")


def redact(text: str) -> str:
    text = _JWT.sub("[token]", text)
    text = _BEARER.sub(r"\1[token]", text)
    text = _SECRET_KEYS.sub(r"\1[redacted]", text)
    return hide_phones(text, "[phone]")


class JsonFormatter(logging.Formatter):
    _STD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in self._STD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # httpx logs full URLs, which for WeChat carry the app secret and login codes.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # Access lines are written by our middleware (with request id); uvicorn's would repeat them.
    logging.getLogger("uvicorn.access").disabled = True


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)
