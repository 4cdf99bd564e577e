"""Permission matrix: every acceptance route, called by every role from inside and outside its scope.

World A's project is under construction with its items done and an owners' committee on the estate; a
round is open (its checklist decided) except for the route that opens one. Outside the read scope is
404, never 403. Signing is for the roles one holds: here the committee's, which only its member may give.
"""

import pytest

from tests.acceptance.conftest import API, decide, open_round, ready, upload
from tests.matrix import MANAGE, PROJECT_READ, VARIANTS, Matrix, mismatches

_m = Matrix(VARIANTS, manage=MANAGE, read=PROJECT_READ)
expect, read, write = _m.expect, _m.read, _m.write

# name: (method, path, body, whether a round is open first, expected per variant)
ROUTES = {
    "list_acceptances": ("GET", "/projects/{project}/acceptances", None, True, read()),
    "open_acceptance": ("POST", "/projects/{project}/acceptance", {}, False, write(201)),
    "get_acceptance": ("GET", "/acceptances/{acceptance}", None, True, read()),
    "update_acceptance": ("PATCH", "/acceptances/{acceptance}", {"remarks": "现场验收合格"}, True, write(200)),
    "sign_acceptance": ("POST", "/acceptances/{acceptance}/signatures", "sign", True,
                        expect(rules=[((403, "signatory_role_not_held"), PROJECT_READ),
                                      (201, {"committee_member:in"})])),
    "verify_acceptance": ("GET", "/acceptances/{acceptance}/verify", None, True, read()),
    "acceptance_certificate": ("GET", "/acceptances/{acceptance}/certificate.pdf", None, True, read()),
}


async def _setup(client, db, world, opened: bool) -> dict[str, str]:
    await ready(db, world)
    ids = {"project": str(world.a.project_id)}
    if opened:
        admin = await world.headers_for(db, "admin")
        a = await decide(client, admin, await open_round(client, admin, world))
        ids.update(acceptance=a["id"], content_hash=a["content_hash"])
    return ids


@pytest.mark.parametrize("route", ROUTES)
async def test_permission_matrix(client, db, world, route):
    """Every role against one route, each from the same state (its changes rolled back after it)."""
    method, path, body, opened, table = ROUTES[route]
    ids = await _setup(client, db, world, opened)

    async def call(headers):
        if body == "sign":  # with the caller's own signature image
            payload = {"role": "committee", "decision": "approve", "content_hash": ids["content_hash"],
                       "signature_file_id": await upload(client, headers)}
        else:
            payload = body
        return await client.request(method, API + path.format(**ids), headers=headers, json=payload)

    assert await mismatches(db, world, VARIANTS, table, call) == []


async def test_anonymous_callers_get_401(client, db, world):
    ids = await _setup(client, db, world, True)
    for name, (method, path, body, *_) in ROUTES.items():
        r = await client.request(method, API + path.format(**ids), json={} if body == "sign" else body)
        assert r.status_code == 401, name
