"""A resident who has taken part in everything: 王五, co-owner of 1-1-104 with 李四 (the voting estate), with a
per-person questionnaire answered, an opinion with a photo, a vote, a complaint, an inbox message, a
photo uploaded and never attached, and the consents of the notice. 张三 (1-1-101) did the same, so that
what is someone else's can be looked for and not found."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from app.auth.models import User
from app.core import clock
from app.notifications.models import InboxMessage
from app.privacy.models import Purpose
from tests import factories as f
from tests.files.conftest import PNG, image
from tests.voting.conftest import API, ballot, to_voting, vote

SURVEY = [{"id": "score", "type": "rating", "title": "对改造方案的评价", "min": 1, "max": 5, "required": True}]


@dataclass
class Activity:
    wang: dict  # headers
    wang_id: uuid.UUID
    zhang: dict
    zhang_id: uuid.UUID
    questionnaire_id: str
    ballot_id: str
    receipt: str
    opinion_id: str
    photo_id: str  # attached to the opinion
    loose_id: str  # uploaded, attached to nothing
    feedback_id: str


async def _me(client, headers) -> uuid.UUID:
    return uuid.UUID((await client.get(f"{API}/me", headers=headers)).json()["id"])


async def _upload(client, headers, data: bytes) -> str:
    r = await client.post(f"{API}/files", files={"file": ("photo.png", data, "image/png")}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def take_part(client, db, estate) -> Activity:
    wang, zhang = estate.owners["wang"], estate.owners["zhang"]
    wang_id, zhang_id = await _me(client, wang), await _me(client, zhang)
    for user_id in (wang_id, zhang_id):
        await f.consent(db, await db.get(User, user_id), Purpose.service)

    r = await client.post(f"{API}/projects/{estate.side.project_id}/questionnaires", headers=estate.staff,
                          json={"title": "方案满意度", "questions": SURVEY, "response_unit": "person"})
    assert r.status_code == 201, r.text
    q = r.json()
    assert (await client.post(f"{API}/questionnaires/{q['id']}/publish", headers=estate.staff, json={})).status_code == 200
    for headers, room, score in ((wang, "104", 4), (zhang, "101", 2)):
        r = await client.post(f"{API}/questionnaires/{q['id']}/responses", headers=headers, json={
            "response_id": str(uuid.uuid4()), "unit_id": str(estate.units[room]),
            "answers": [{"question_id": "score", "value": score}]})
        assert r.status_code == 201, r.text

    now = clock.now()
    plan = await to_voting(db, estate)
    plan.notice_starts_at, plan.notice_ends_at = now - timedelta(days=1), now + timedelta(days=6)
    db.add(plan)
    await db.flush()
    photo = await _upload(client, wang, PNG)
    r = await client.post(f"{API}/plans/{plan.id}/opinions", headers=wang,
                          json={"content": "王五：屋面防水请一起做", "photo_file_ids": [photo]})
    assert r.status_code == 201, r.text
    opinion = r.json()["id"]
    r = await client.post(f"{API}/plans/{plan.id}/opinions", headers=zhang, json={"content": "张三：道路要加宽"})
    assert r.status_code == 201, r.text

    held = await ballot(client, estate)
    r = await vote(client, wang, held, "approve")
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt"]
    assert (await vote(client, zhang, held, "oppose")).status_code == 201

    r = await client.post(f"{API}/projects/{estate.side.project_id}/feedback", headers=wang,
                          json={"content": "王五反映：104门口积水", "unit_id": str(estate.units["104"])})
    assert r.status_code == 201, r.text
    db.add(InboxMessage(user_id=wang_id, title="王五的消息", body="您的意见已收到"))
    loose = await _upload(client, wang, image("PNG", color=(1, 2, 3)))
    await db.flush()
    return Activity(wang, wang_id, zhang, zhang_id, q["id"], held["id"], receipt, opinion, photo, loose,
                    r.json()["id"])
