"""``python -m app create-admin``: a deployment's first administrator, made at the server's console, logs in
and can do what an administrator does; a phone in use, a bad password or two passwords that differ create
nothing."""

import asyncio
import io
import json
import random
import sys

import httpx
from sqlmodel import col, func, select

from app.__main__ import main
from app.auth.models import User
from app.core.db import get_sessionmaker
from app.core.models import AuditEntry
from tests.auth.conftest import API, bearer


def _phone() -> str:
    return f"137{random.randrange(10**8):08d}"  # the live database is shared: a number of this test's own


async def _run(monkeypatch, stdin: str, *args: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return await asyncio.to_thread(main, ["create-admin", *args])


async def _accounts(phone: str) -> int:
    async with get_sessionmaker()() as session:
        return (await session.exec(select(func.count()).select_from(User).where(User.phone == phone))).one()


async def test_the_first_administrator_logs_in_and_administers(live_app, monkeypatch, capsys):
    phone = _phone()
    assert await _run(monkeypatch, "console password\n", "--phone", phone, "--name", "市住建局管理员") == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["phone"] == phone and printed["role"] == "admin" and printed["display_name"] == "市住建局管理员"

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_app), base_url="http://test") as c:
        login = await c.post(f"{API}/auth/login", json={"phone": phone, "password": "console password"})
        assert login.status_code == 200, login.text
        me = (await c.get(f"{API}/me", headers=bearer(login.json()))).json()
        assert me["id"] == printed["id"] and [r["role"] for r in me["roles"]] == ["admin"]
        # What only an administrator may do: make a staff account.
        created = await c.post(f"{API}/users", headers=bearer(login.json()),
                               json={"display_name": "街道干部", "phone": _phone(), "password": "long enough"})
        assert created.status_code == 201, created.text

    async with get_sessionmaker()() as session:
        entries = (await session.exec(select(AuditEntry).where(
            col(AuditEntry.action).in_(["user.create", "role.assign"]),
            col(AuditEntry.entity_id).in_([printed["id"]]) | (col(AuditEntry.after)["user_id"].as_string() == printed["id"]))
        )).all()
    assert sorted((e.action, e.actor_id) for e in entries) == [("role.assign", None), ("user.create", None)]
    assert all("password_hash" not in (e.after or {}) for e in entries)


async def test_a_phone_in_use_or_a_bad_password_creates_nothing(live_app, monkeypatch, capsys):
    phone = _phone()
    assert await _run(monkeypatch, "console password\n", "--phone", phone, "--name", "管理员") == 0
    assert await _run(monkeypatch, "another password\n", "--phone", phone, "--name", "另一个") == 1
    assert "phone_in_use" in capsys.readouterr().err
    assert await _accounts(phone) == 1

    other = _phone()
    assert await _run(monkeypatch, "short\n", "--phone", other, "--name", "管理员") == 1
    assert "password" in capsys.readouterr().err
    assert await _run(monkeypatch, "console password\n", "--phone", "12345", "--name", "管理员") == 1
    assert await _accounts(other) == 0 and await _accounts("12345") == 0


async def test_two_passwords_that_differ_at_a_terminal_create_nothing(live_app, monkeypatch, capsys):
    typed = iter(["console password", "console passwort"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    phone = _phone()
    assert await asyncio.to_thread(main, ["create-admin", "--phone", phone, "--name", "管理员"]) == 1
    assert "differ" in capsys.readouterr().err
    assert await _accounts(phone) == 0
