"""GET /me/notifications, POST /me/notifications/{id}/read, POST /me/subscriptions."""

from datetime import datetime, timedelta

from sqlmodel import select

from app.core import clock
from app.core.models import AuditEntry
from app.notifications.models import InboxMessage, TemplateSubscription
from tests import factories as f
from tests.notifications.conftest import API, T0


async def _inbox(db, user_id, n: int) -> list[InboxMessage]:
    msgs = []
    for i in range(n):
        m = InboxMessage(user_id=user_id, title=f"通知{i}", body="正文", created_at=T0 + timedelta(minutes=i))
        db.add(m)
        msgs.append(m)
    await db.flush()
    return msgs


async def test_inbox_newest_first_paginated_with_unread_count(client, db):
    u, other = await f.user(db), await f.user(db)
    h = await f.headers(db, u)
    await _inbox(db, u.id, 5)
    await _inbox(db, other.id, 2)
    await db.commit()
    r = await client.get(f"{API}/me/notifications?limit=3", headers=h)
    assert r.status_code == 200
    page = r.json()
    assert [m["title"] for m in page["items"]] == ["通知4", "通知3", "通知2"] and page["unread"] == 5
    r = await client.get(f"{API}/me/notifications", params={"limit": 3, "cursor": page["next_cursor"]}, headers=h)
    assert [m["title"] for m in r.json()["items"]] == ["通知1", "通知0"] and r.json()["next_cursor"] is None


async def test_mark_read_only_own_messages(client, db):
    u, other = await f.user(db), await f.user(db)
    h, h_other = await f.headers(db, u), await f.headers(db, other)
    [mine] = await _inbox(db, u.id, 1)
    mine_id = mine.id
    await db.commit()
    r = await client.post(f"{API}/me/notifications/{mine_id}/read", headers=h_other)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    at = clock.now().replace(microsecond=0)
    with clock.freeze(at):  # (not T0: the access token would have expired by then)
        r = await client.post(f"{API}/me/notifications/{mine_id}/read", headers=h)
    assert r.status_code == 200 and datetime.fromisoformat(r.json()["read_at"]) == at
    again = await client.post(f"{API}/me/notifications/{mine_id}/read", headers=h)
    assert again.json()["read_at"] == r.json()["read_at"]  # reading twice keeps the first time
    assert (await client.get(f"{API}/me/notifications", headers=h)).json()["unread"] == 0


async def test_subscriptions_add_one_credit_per_accepted_template(client, db):
    u = await f.user(db)
    h = await f.headers(db, u)
    user_id = u.id
    await db.commit()
    r = await client.post(f"{API}/me/subscriptions", json={"templates": ["ballot_open", "plan_published"]}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == [{"template": "ballot_open", "credits": 1}, {"template": "plan_published", "credits": 1}]
    r = await client.post(f"{API}/me/subscriptions", json={"templates": ["ballot_open", "ballot_open"]}, headers=h)
    assert r.json() == [{"template": "ballot_open", "credits": 2}]
    subs = (await db.exec(select(TemplateSubscription).where(TemplateSubscription.user_id == user_id))).all()
    assert {s.template: s.credits for s in subs} == {"ballot_open": 2, "plan_published": 1}
    actions = (await db.exec(select(AuditEntry.action).where(AuditEntry.entity_id == str(user_id)))).all()
    assert actions == ["notification.subscribe", "notification.subscribe"]


async def test_unknown_template_is_422_and_changes_nothing(client, db):
    u = await f.user(db)
    h = await f.headers(db, u)
    user_id = u.id
    await db.commit()
    r = await client.post(f"{API}/me/subscriptions", json={"templates": ["ballot_open", "lottery"]}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    assert [d["loc"] for d in r.json()["error"]["details"]] == [["body", "templates", 1]]
    assert (await db.exec(select(TemplateSubscription).where(TemplateSubscription.user_id == user_id))).all() == []
    r = await client.post(f"{API}/me/subscriptions", json={"templates": []}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


async def test_endpoints_need_login(client):
    assert (await client.get(f"{API}/me/notifications")).status_code == 401
    assert (await client.post(f"{API}/me/subscriptions", json={"templates": ["ballot_open"]})).status_code == 401


async def test_the_templates_the_mini_program_subscribes_to(client, monkeypatch):
    from app.core.config import get_settings
    from app.notifications.templates import TEMPLATES

    monkeypatch.setattr(get_settings(), "wechat_templates", {"ballot_open": "tmpl-Ab12"})
    r = await client.get(f"{API}/notification-templates")  # no login: the mini-program asks before one
    assert r.status_code == 200
    listed = {t["key"]: t for t in r.json()}
    assert set(listed) == set(TEMPLATES)
    assert listed["ballot_open"]["wechat_template_id"] == "tmpl-Ab12"
    assert listed["plan_published"]["wechat_template_id"] is None
    assert listed["ballot_open"]["purpose"] == "表决开始时，告知有表决权的业主"
    assert [f["key"] for f in listed["ballot_open"]["fields"]] == ["thing1", "thing2", "time3", "thing4"]
    assert all(t["title"] and t["purpose"] for t in r.json())
