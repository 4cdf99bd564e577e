"""Permission matrix: every voting route, called by every role from inside and outside its scope.

The ballot belongs to world A's project. A draft is seen by those who manage the project only; an open
ballot by everyone who reads the project. Outside the read scope is 404, never 403. Expected: a status,
or (status, error code) where the refusal has a code of its own.
"""

from datetime import timedelta

import pytest

from app.core import clock
from tests.matrix import MANAGE, PROJECT_READ, VARIANTS, Matrix, mismatches

READ = PROJECT_READ
_m = Matrix(VARIANTS, manage=MANAGE, read=READ)
expect, read, write = _m.expect, _m.read, _m.write
API = "/api/v1"


def ballot_body() -> dict:
    now = clock.now()
    return {"title": "表决", "rule": "civil_code_ordinary", "motions": [{"title": "同意"}],
            "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=7)).isoformat()}


# name: (method, path, body, the ballot's state first, expected per variant)
ROUTES = {
    "list_ballots": ("GET", "/projects/{project}/ballots", None, "open", read()),
    "create_ballot": ("POST", "/projects/{project}/ballots", ballot_body, None, write(201)),
    "get_ballot": ("GET", "/ballots/{ballot}", None, "open", read()),
    "get_draft_ballot": ("GET", "/ballots/{ballot}", None, "draft", expect(rules=[(200, MANAGE)])),
    "open_ballot": ("POST", "/ballots/{ballot}/open", None, "draft", write(200, visible=MANAGE)),
    "close_ballot": ("POST", "/ballots/{ballot}/close", None, "open", write(200)),
    "ballot_electorate": ("GET", "/ballots/{ballot}/electorate", None, "open", write(200)),
    # World A's residents are bound without a person on record: no vote of theirs is in the ledger.
    "cast_vote": ("POST", "/ballots/{ballot}/votes", lambda ids: {"choices": [{"motion_id": ids["motion"],
                                                                              "choice": "approve"}]},
                  "open", expect(rules=[((403, "not_an_owner"), READ)])),
    # Past every check, the caller's evidence is found not to be their upload: the one refusal left.
    "cast_proxy_vote": ("POST", "/ballots/{ballot}/proxy-votes", lambda ids: {
        "voter_id": ids["voter"], "choices": [{"motion_id": ids["motion"], "choice": "approve"}],
        "evidence_file_ids": [ids["ballot"]]}, "open",
        write((422, "file_not_usable"), allowed=MANAGE | {"grid_worker:in"})),
    "my_vote": ("GET", "/ballots/{ballot}/my-vote", None, "open", read()),
    "ballot_turnout": ("GET", "/ballots/{ballot}/turnout", None, "open", read()),
    "ballot_results": ("GET", "/ballots/{ballot}/results", None, "open",
                       expect(rules=[((403, "ballot_results_not_public"), READ), (200, MANAGE)])),
    "ballot_results_pdf": ("GET", "/ballots/{ballot}/results.pdf", None, "open",
                           expect(rules=[((403, "ballot_results_not_public"), READ), (200, MANAGE)])),
    "ballot_receipts": ("GET", "/ballots/{ballot}/receipts", None, "open",
                        expect(rules=[((403, "receipts_not_public"), READ)])),
    "ballot_receipts_closed": ("GET", "/ballots/{ballot}/receipts", None, "closed", read()),
    "ballot_non_voters": ("GET", "/ballots/{ballot}/non-voters", None, "open",
                          write(200, allowed=MANAGE | {"grid_worker:in"})),
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


def _body(body, ids):
    if body is ballot_body:
        return body()
    return body(ids) if callable(body) else body


@pytest.mark.parametrize("route", ROUTES)
async def test_permission_matrix(client, db, world, route):
    """Every role against one route, each from the same state (its changes rolled back after it)."""
    method, path, body, state, table = ROUTES[route]
    ids = await _setup(client, db, world, state)

    async def call(headers):
        return await client.request(method, API + path.format(**ids), headers=headers, json=_body(body, ids))

    assert await mismatches(db, world, VARIANTS, table, call) == []


async def test_anonymous_callers_get_401(client, db, world):
    ids = await _setup(client, db, world, "open")
    for name, (method, path, body, *_) in ROUTES.items():
        r = await client.request(method, API + path.format(**ids), json=_body(body, ids))
        assert r.status_code == 401, name
