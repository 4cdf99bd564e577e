"""Permission matrix: every voting route, called by every role from inside and outside its scope.

The ballot belongs to world A's project. A draft is seen by those who manage the project only; an open
ballot by everyone who reads the project. Outside the read scope is 404, never 403. Expected: a status,
or (status, error code) where the refusal has a code of its own.
"""

from datetime import timedelta

import pytest

from app.core import clock
from tests.matrix import API, MANAGE, PROJECT_READ, VARIANTS, Matrix, Route, mismatches, unauthenticated

READ = PROJECT_READ
_m = Matrix(VARIANTS, manage=MANAGE, read=READ)
expect, read, write = _m.expect, _m.read, _m.write


def ballot_body() -> dict:
    now = clock.now()
    return {"title": "表决", "rule": "civil_code_ordinary", "motions": [{"title": "同意"}],
            "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=7)).isoformat()}


VOTE = [{"motion_id": "{motion}", "choice": "approve"}]

# state: the ballot made first ("draft", "open" or "closed"; None: no ballot)
ROUTES = {
    "list_ballots": Route("GET", "/projects/{project}/ballots", read(), state="open"),
    "create_ballot": Route("POST", "/projects/{project}/ballots", write(201), body=lambda *_: ballot_body()),
    "get_ballot": Route("GET", "/ballots/{ballot}", read(), state="open"),
    "get_draft_ballot": Route("GET", "/ballots/{ballot}", expect(rules=[(200, MANAGE)]), state="draft"),
    "open_ballot": Route("POST", "/ballots/{ballot}/open", write(200, visible=MANAGE), state="draft"),
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
    "ballot_non_voters": Route("GET", "/ballots/{ballot}/non-voters", write(200, allowed=MANAGE | {"grid_worker:in"}),
                               state="open"),
}


async def _setup(client, db, world, state: str | None) -> dict[str, str]:
    ids = {"project": str(world.a.project_id)}
    if state is None:
        return ids
    admin = await world.headers_for(db, "admin")
    r = await client.post(f"{API}/projects/{ids['project']}/ballots", headers=admin, json=ballot_body())
    ids["ballot"], ids["motion"] = r.json()["id"], r.json()["motions"][0]["id"]
    if state in ("open", "closed"):
        assert (await client.post(f"{API}/ballots/{ids['ballot']}/open", headers=admin)).status_code == 200
        ids["voter"] = (await client.get(f"{API}/ballots/{ids['ballot']}/electorate", headers=admin)).json()[0]["id"]
    if state == "closed":
        assert (await client.post(f"{API}/ballots/{ids['ballot']}/close", headers=admin)).status_code == 200
    return ids


@pytest.mark.parametrize("route", ROUTES)
async def test_permission_matrix(client, db, world, route):
    """Every role against one route, each from the same state (its changes rolled back after it)."""
    ids = await _setup(client, db, world, ROUTES[route].state)
    assert await mismatches(client, db, world, ROUTES[route], ids) == []


async def test_anonymous_callers_get_401(client, db, world):
    assert await unauthenticated(client, ROUTES, await _setup(client, db, world, "open")) == []
