"""No phone numbers, tokens or secrets reach the logs."""

import json
import logging

from app.core.logging import JsonFormatter, redact


def test_redacts_phones_tokens_and_secrets():
    text = (
        "owner 13800138000 and +8613912345678 called with Bearer abc.def token "
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig refresh_token=zzz password: hunter2 "
        "js_code=0a1b secret=s3"
    )
    out = redact(text)
    for leaked in ("13800138000", "13912345678", "abc.def", "eyJhbGci", "zzz", "hunter2", "0a1b", "s3 "):
        assert leaked not in out
    assert "[phone]" in out and "[token]" in out


def test_does_not_mangle_ordinary_numbers():
    assert redact("area 8650 units 84 year 2026") == "area 8650 units 84 year 2026"


def test_formatter_emits_json_with_extras_redacted():
    record = logging.makeLogRecord({"msg": "login for %s", "args": ("13800138000",), "levelno": 20,
                                    "levelname": "INFO", "name": "t", "phone": "13900000001"})
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "login for [phone]" and entry["phone"] == "[phone]" and entry["level"] == "INFO"
