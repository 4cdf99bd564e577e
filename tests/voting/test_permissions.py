"""Permission matrix: every voting route, called by every role from inside and outside its scope.

The ballot belongs to world A's project. A draft is seen by those who manage the project only; an
announced ballot by everyone who reads the project. Outside the read scope is 404, never 403. Expected: a
status, or (status, error code) where the refusal has a code of its own. World A's resident is bound to
the estate's unit as its owner, without a person on record: a resident of the scope, not a voter.
"""

import uuid
from datetime import timedelta

import pytest

from app.core import clock
from app.voting.models import Objection, ObjectionKind
from tests.matrix import API, MANAGE, PROJECT_READ, VARIANTS, Matrix, Route, mismatches, unauthenticated
from tests.voting.conftest import notice_served

READ = PROJECT_READ
COLLECT = MANAGE | {"grid_worker:in"}
_m = Matrix(VARIANTS, manage=MANAGE, read=READ)
expect, read, write = _m.expect, _m.read, _m.write


def ballot_body() -> dict:
    now = clock.now()
    return {"title": "表决", "rule": "civil_code_ordinary", "motions": [{"title": "同意"}],
            "opens_at": (now + timedelta(days=16)).isoformat(), "closes_at": (now + timedelta(days=23)).isoformat()}


VOTE = [{"motion_id": "{motion}", "choice": "approve"}]

# state: the ballot made first ("draft", "announced", "correction" (announced, one correction filed), "open",
# "closed", "objection" (closed, one objection filed); None: no ballot)
ROUTES = {
    "list_ballots": Route("GET", "/projects/{project}/ballots", read(), state="open"),
    "create_ballot": Route("POST", "/projects/{project}/ballots", write(201), body=lambda *_: ballot_body()),
    "get_ballot": Route("GET", "/ballots/{ballot}", read(), state="open"),
    "get_draft_ballot": Route("GET", "/ballots/{ballot}", expect(rules=[(200, MANAGE)]), state="draft"),
    "announce_ballot": Route("POST", "/ballots/{ballot}/announce", write(200, visible=MANAGE), state="draft"),
    "cancel_ballot": Route("POST", "/ballots/{ballot}/cancel", write(200), body={"reason": "方案需修改"},
                           state="announced"),
    "announcement_pdf": Route("GET", "/ballots/{ballot}/announcement.pdf", read(), state="announced"),
    "open_ballot": Route("POST", "/ballots/{ballot}/open", write(200), state="due"),
    "notice_coverage": Route("GET", "/ballots/{ballot}/notice-coverage", write(200, allowed=COLLECT),
                             state="announced"),
    "notice_delivery": Route("POST", "/ballots/{ballot}/notice-deliveries", write(201, allowed=COLLECT),
                             body={"unit_id": "{unit}", "channel": "handed"}, state="announced"),
    "electorate_preview": Route("GET", "/ballots/{ballot}/electorate-preview", expect(rules=[
        ((403, "not_a_resident_in_scope"), READ), (200, COLLECT | {"resident:in"})]), state="announced"),
    "list_corrections": Route("GET", "/ballots/{ballot}/corrections", read(), state="correction"),
    "file_correction": Route("POST", "/ballots/{ballot}/corrections", expect(rules=[
        ((403, "not_a_resident_in_scope"), READ), (201, COLLECT | {"resident:in"})]),
        body={"unit_id": "{unit}", "kind": "area_wrong", "note": "面积应为86.50"}, state="announced"),
    "answer_correction": Route("POST", "/corrections/{correction}/answer", write(200, allowed=COLLECT),
                               body={"accepted": False, "reply": "经核对登记无误"}, state="correction"),
    "close_ballot": Route("POST", "/ballots/{ballot}/close", write(200), state="open"),
    "ballot_electorate": Route("GET", "/ballots/{ballot}/electorate", write(200), state="open"),
    # World A's residents are bound without a person on record: no vote of theirs is in the ledger.
    "cast_vote": Route("POST", "/ballots/{ballot}/votes", expect(rules=[((403, "not_an_owner"), READ)]),
                       body={"choices": VOTE}, state="open"),
    # Past every check, the caller's evidence is found not to be their upload: the one refusal left.
    "cast_proxy_vote": Route("POST", "/ballots/{ballot}/proxy-votes",
                             write((422, "file_not_usable"), allowed=MANAGE | {"grid_worker:in"}),
                             body={"voter_id": "{voter}", "choices": VOTE, "evidence_file_ids": ["{ballot}"]},
                             state="open"),
    "my_vote": Route("GET", "/ballots/{ballot}/my-vote", read(), state="open"),
    "ballot_turnout": Route("GET", "/ballots/{ballot}/turnout", read(), state="open"),
    "ballot_results": Route("GET", "/ballots/{ballot}/results",
                            expect(rules=[((403, "ballot_results_not_public"), READ), (200, MANAGE)]), state="open"),
    "ballot_results_pdf": Route("GET", "/ballots/{ballot}/results.pdf",
                                expect(rules=[((403, "ballot_results_not_public"), READ), (200, MANAGE)]),
                                state="open"),
    "ballot_receipts": Route("GET", "/ballots/{ballot}/receipts", expect(rules=[((403, "receipts_not_public"), READ)]),
                             state="open"),
    "ballot_receipts_closed": Route("GET", "/ballots/{ballot}/receipts", read(), state="closed"),
    "ballot_non_voters": Route("GET", "/ballots/{ballot}/non-voters", write(200, allowed=COLLECT), state="open"),
    "ballot_households": Route("GET", "/ballots/{ballot}/households", expect(rules=[
        ((403, "not_an_owner"), READ), (200, COLLECT | {"resident:in"})]), state="open"),
    "list_objections": Route("GET", "/ballots/{ballot}/objections", read(), state="objection"),
    "file_objection": Route("POST", "/ballots/{ballot}/objections", expect(rules=[((403, "not_in_electorate"), READ)]),
                            body={"kind": "vote_missing", "note": "我的票没有计入"}, state="closed"),
    "answer_objection": Route("POST", "/objections/{objection}/answer", write(200), body={"reply": "已核实"},
                              state="objection"),
    "recount_ballot": Route("POST", "/ballots/{ballot}/recount", write(200), state="closed"),
    # The window is still open: the refusal says until when.
    "finalize_ballot": Route("POST", "/ballots/{ballot}/finalize", write((409, "ballot_not_yet_final")),
                             state="closed"),
}


async def _setup(client, db, world, state: str | None) -> dict[str, str]:
    ids = {"project": str(world.a.project_id), "unit": str(world.a.unit.id)}
    if state is None:
        return ids
    admin = await world.headers_for(db, "admin")
    r = await client.post(f"{API}/projects/{ids['project']}/ballots", headers=admin, json=ballot_body())
    ids["ballot"], ids["motion"] = r.json()["id"], r.json()["motions"][0]["id"]
    if state == "draft":
        return ids
    assert (await client.post(f"{API}/ballots/{ids['ballot']}/announce", headers=admin)).status_code == 200
    if state == "correction":
        r = await client.post(f"{API}/ballots/{ids['ballot']}/corrections", headers=admin,
                              json={"unit_id": ids["unit"], "kind": "not_registered", "note": "漏登共有人"})
        ids["correction"] = r.json()["id"]
    if state in ("announced", "correction"):
        return ids
    await notice_served(db, ids["ballot"])
    if state == "due":
        return ids
    assert (await client.post(f"{API}/ballots/{ids['ballot']}/open", headers=admin)).status_code == 200
    ids["voter"] = (await client.get(f"{API}/ballots/{ids['ballot']}/electorate",
                                     headers=admin)).json()["items"][0]["id"]
    if state == "open":
        return ids
    assert (await client.post(f"{API}/ballots/{ids['ballot']}/close", headers=admin)).status_code == 200
    if state == "objection":  # as an owner in the electorate would have filed it
        objection = Objection(ballot_id=uuid.UUID(ids["ballot"]), kind=ObjectionKind.counted_wrong, note="面积算错",
                              filed_by=(await world.user_for(db, "admin")).id)
        db.add(objection)
        await db.flush()
        ids["objection"] = str(objection.id)
    return ids


@pytest.mark.parametrize("route", ROUTES)
async def test_permission_matrix(client, db, world, route):
    """Every role against one route, each from the same state (its changes rolled back after it)."""
    ids = await _setup(client, db, world, ROUTES[route].state)
    assert await mismatches(client, db, world, ROUTES[route], ids) == []


async def test_anonymous_callers_get_401(client, db, world):
    # Without credentials nothing is looked up: any id will do for the correction and the objection.
    ids = await _setup(client, db, world, "open") | {"correction": str(uuid.uuid4()), "objection": str(uuid.uuid4())}
    assert await unauthenticated(client, ROUTES, ids) == []
