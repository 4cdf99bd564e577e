"""Permission matrix: every acceptance route, called by every role from inside and outside its scope.

World A's project is under construction with its items done and an owners' committee on the estate; a
round is open (its checklist decided) except for the route that opens one. Outside the read scope is
404, never 403. Signing is for the roles one holds: here the committee's, which only its member may give.
"""

import pytest

from tests.acceptance.conftest import decide, open_round, ready, upload
from tests.matrix import MANAGE, PROJECT_READ, VARIANTS, Matrix, Route, mismatches, unauthenticated

_m = Matrix(VARIANTS, manage=MANAGE, read=PROJECT_READ)
expect, read, write = _m.expect, _m.read, _m.write


async def _signature(ids, headers, client) -> dict:
    """The committee's approval, signed with the caller's own uploaded image (none without credentials)."""
    if not headers:
        return {}
    return {"role": "committee", "decision": "approve", "content_hash": ids["content_hash"],
            "signature_file_id": await upload(client, headers)}


# state "open": a round is open (and its checklist decided) first
ROUTES = {
    "list_acceptances": Route("GET", "/projects/{project}/acceptances", read(), state="open"),
    "open_acceptance": Route("POST", "/projects/{project}/acceptance", write(201), body={}),
    "get_acceptance": Route("GET", "/acceptances/{acceptance}", read(), state="open"),
    "update_acceptance": Route("PATCH", "/acceptances/{acceptance}", write(200), body={"remarks": "现场验收合格"},
                               state="open"),
    "sign_acceptance": Route("POST", "/acceptances/{acceptance}/signatures",
                             expect(rules=[((403, "signatory_role_not_held"), PROJECT_READ),
                                           (201, {"committee_member:in"})]), body=_signature, state="open"),
    "verify_acceptance": Route("GET", "/acceptances/{acceptance}/verify", read(), state="open"),
    "acceptance_certificate": Route("GET", "/acceptances/{acceptance}/certificate.pdf", read(), state="open"),
}


async def _setup(client, db, world, state: str | None) -> dict[str, str]:
    await ready(db, world)
    ids = {"project": str(world.a.project_id)}
    if state == "open":
        admin = await world.headers_for(db, "admin")
        a = await decide(client, admin, await open_round(client, admin, world))
        ids.update(acceptance=a["id"], content_hash=a["content_hash"])
    return ids


@pytest.mark.parametrize("route", ROUTES)
async def test_permission_matrix(client, db, world, route):
    """Every role against one route, each from the same state (its changes rolled back after it)."""
    ids = await _setup(client, db, world, ROUTES[route].state)
    assert await mismatches(client, db, world, ROUTES[route], ids) == []


async def test_anonymous_callers_get_401(client, db, world):
    assert await unauthenticated(client, ROUTES, await _setup(client, db, world, "open")) == []
