"""A local fake of the WeChat server endpoints this project calls, for tests and the offline demo.

Codes it understands (``wx.login`` / ``getPhoneNumber`` codes are opaque strings in reality):
- login: any code logs in as a user whose openid is derived from the code, except
  ``invalid`` (40029), ``rate-limited`` (45011), ``risky`` (40226), ``busy`` (-1),
  ``slow`` (answers after 30 s) and ``http-500`` (a bare HTTP 500).
- phone: ``phone:<11 digits>`` answers that number; ``invalid`` answers 40029.
Every request is recorded in ``state.requests`` so tests can see what was sent.
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

    def reset(self) -> None:
        self.requests.clear()
        self.access_tokens.clear()
        self.tokens_issued = 0

    def expire_access_tokens(self) -> None:
        """Make every token issued so far invalid, as WeChat does when a token is refreshed elsewhere."""
        self.access_tokens.clear()


state = FakeState()
fake_app = FastAPI(title="Fake WeChat server", openapi_url=None, docs_url=None, redoc_url=None)


def openid_for(code: str) -> str:
    return "o" + hashlib.sha256(code.encode()).hexdigest()[:27]


async def _record(request: Request) -> dict[str, Any]:
    body = await request.body()
    entry = {"path": request.url.path, "query": dict(request.query_params), "body": body.decode() or None}
    state.requests.append(entry)
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
