"""A local fake of the WeChat server endpoints this project calls, for tests and the offline demo.

Codes it understands (``wx.login`` / ``getPhoneNumber`` codes are opaque strings in reality):
- login: any code logs in as a user whose openid is derived from the code, except
  ``invalid`` (40029), ``rate-limited`` (45011), ``risky`` (40226), ``busy`` (-1),
  ``slow`` (answers after 30 s) and ``http-500`` (a bare HTTP 500).
- phone: ``phone:<11 digits>`` answers that number; ``invalid`` answers 40029.
- subscribe messages: accepted (errcode 0) unless ``state.subscribe_errcodes`` holds queued answers:
  each send pops the first one; an int is answered as that errcode, ``"http-500"`` as a bare HTTP 500,
  ``"slow"`` after 30 s. A ``thing`` value over 20 characters is refused with 47003, as WeChat does.
The last ``KEPT`` requests are recorded in ``state.requests`` so tests can see what was sent: a long demo
or a soak sends tens of thousands, and keeping them all grew the worker by tens of megabytes.
"""

import asyncio
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

LOGIN_ERRORS = {"invalid": (40029, "invalid code"), "rate-limited": (45011, "api minute-quota reach limit"),
                "risky": (40226, "high risk user"), "busy": (-1, "system error")}


@dataclass
class FakeState:
    requests: list[dict[str, Any]] = field(default_factory=list)
    access_tokens: set[str] = field(default_factory=set)
    tokens_issued: int = 0
    subscribe_errcodes: list[int | str] = field(default_factory=list)

    def reset(self) -> None:
        self.requests.clear()
        self.access_tokens.clear()
        self.tokens_issued = 0
        self.subscribe_errcodes.clear()

    def subscribe_sends(self) -> list[dict[str, Any]]:
        """The subscribe messages received (their JSON bodies), in order."""
        import json

        return [json.loads(r["body"]) for r in self.requests if r["path"] == SUBSCRIBE_SEND]

    def expire_access_tokens(self) -> None:
        """Make every token issued so far invalid, as WeChat does when a token is refreshed elsewhere."""
        self.access_tokens.clear()


SUBSCRIBE_SEND = "/cgi-bin/message/subscribe/send"
KEPT = 1_000  # the requests ``state.requests`` keeps, the latest (it holds up to twice as many between trims)
state = FakeState()
fake_app = FastAPI(title="Fake WeChat server", openapi_url=None, docs_url=None, redoc_url=None)


def openid_for(code: str) -> str:
    return "o" + hashlib.sha256(code.encode()).hexdigest()[:27]


async def _record(request: Request) -> dict[str, Any]:
    body = await request.body()
    entry = {"path": request.url.path, "query": dict(request.query_params), "body": body.decode() or None}
    state.requests.append(entry)
    if len(state.requests) > 2 * KEPT:
        del state.requests[:-KEPT]
    return entry


@fake_app.get("/sns/jscode2session")
async def jscode2session(request: Request):
    await _record(request)
    code = request.query_params.get("js_code", "")
    if not request.query_params.get("appid") or not request.query_params.get("secret"):
        return {"errcode": 40013, "errmsg": "invalid appid"}
    if code in LOGIN_ERRORS:
        errcode, errmsg = LOGIN_ERRORS[code]
        return {"errcode": errcode, "errmsg": errmsg}
    if code == "slow":
        await asyncio.sleep(30)
    if code == "http-500":
        return JSONResponse({"message": "upstream failure"}, status_code=500)
    return {"openid": openid_for(code), "session_key": secrets.token_urlsafe(16), "errcode": 0, "errmsg": "ok"}


@fake_app.get("/cgi-bin/token")
async def access_token(request: Request):
    await _record(request)
    if not request.query_params.get("secret"):
        return {"errcode": 40001, "errmsg": "invalid credential"}
    state.tokens_issued += 1
    token = f"fake-access-token-{state.tokens_issued}-{secrets.token_hex(4)}"
    state.access_tokens.add(token)
    return {"access_token": token, "expires_in": 7200}


@fake_app.post("/wxa/business/getuserphonenumber")
async def get_user_phone_number(request: Request):
    entry = await _record(request)
    if entry["query"].get("access_token") not in state.access_tokens:
        return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
    try:
        code = (await request.json()).get("code", "")
    except ValueError:
        code = ""
    if code == "busy":
        return {"errcode": -1, "errmsg": "system error"}
    if not code.startswith("phone:") or len(code) != 17 or not code[6:].isdigit():
        return {"errcode": 40029, "errmsg": "invalid code"}
    number = code[6:]
    return {
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {"phoneNumber": number, "purePhoneNumber": number, "countryCode": "86"},
    }


# Limits WeChat enforces on subscribe-message values (the fake checks the free-text ones).
_VALUE_LIMITS = {"thing": 20, "name": 10, "phrase": 5}


@fake_app.post(SUBSCRIBE_SEND)
async def subscribe_send(request: Request):
    entry = await _record(request)
    if entry["query"].get("access_token") not in state.access_tokens:
        return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
    if state.subscribe_errcodes:
        answer = state.subscribe_errcodes.pop(0)
        if answer == "http-500":
            return JSONResponse({"message": "upstream failure"}, status_code=500)
        if answer == "slow":
            await asyncio.sleep(30)
        elif isinstance(answer, int) and answer != 0:
            return {"errcode": answer, "errmsg": f"fake error {answer}"}
    try:
        body = await request.json()
    except ValueError:
        return {"errcode": 47001, "errmsg": "data format error"}
    if not body.get("touser") or not body.get("template_id") or not isinstance(body.get("data"), dict):
        return {"errcode": 47003, "errmsg": "argument invalid!"}
    for key, item in body["data"].items():
        value = item.get("value") if isinstance(item, dict) else None
        kind = key.rstrip("0123456789")
        if not isinstance(value, str) or len(value) > _VALUE_LIMITS.get(kind, 10**6):
            return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value invalid"}
    return {"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**12)}
