"""/me/tasks' signatures (``service.waiting_for``): the roles each open acceptance waits for from the caller -
the same roles signing checks (``held_roles``) - read in statements that do not grow with the number of
open acceptances (each acceptance's estate and organisations were read one by one: five statements each);
a resident named in no open round, known as such at their principal version, costs none."""

import uuid
from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import col, select

from app.acceptance import service
from app.acceptance.models import Acceptance
from app.acceptance.rules import SignatoryRole, Status
from app.auth.models import RoleAssignment, User
from app.auth.principal import Principal
from app.auth.roles import ROLE_SCOPE, Role
from app.projects.models import ProjectOrganizationRole
from app.registry.models import OrganizationKind
from app.registry.reads import EstateRef
from tests import factories as f
from tests.acceptance.conftest import API, decide, open_round, ready
from tests.factories._base import add
from tests.registry.test_roster_queries import counted

SIGNERS = ("street_staff:in", "community_staff:in", "contractor:in", "committee_member:in", "street_staff:out")


async def _open(db, world, opener_id, *, supervised: bool) -> Acceptance:
    """An open round on a new project of A's estate, A's contractor linked (and a supervision company)."""
    project = await f.project(db, world.a.estate_id)
    await f.project_organization(db, project.id, world.a.organization_id, ProjectOrganizationRole.contractor)
    if supervised:
        supervisor = await f.organization(db, kind=OrganizationKind.supervision, street_id=world.a.street_id)
        await f.project_organization(db, project.id, supervisor.id, ProjectOrganizationRole.supervision)
    return await add(db, Acceptance(project_id=project.id, estate_id=world.a.estate_id, content_hash="0" * 64,
                                    roles=["street", "community", "contractor", "committee"], opened_by=opener_id))


async def test_each_signer_is_asked_for_the_roles_signing_would_accept(db, world):
    opener = await world.user_for(db, "community_staff:in")
    opened = [await _open(db, world, opener.id, supervised=n == 1) for n in range(3)]
    for variant in SIGNERS:
        p = await world.principal_for(db, variant)
        expected = {a.id: sorted(r.value for r in await service.held_roles(db, p, a)) for a in opened}
        tasks = {t.acceptance_id: t.roles for t in await service.waiting_for(db, p)}
        assert tasks == {i: roles for i, roles in expected.items() if roles}, variant
    street = {t.acceptance_id: t.roles for t in await service.waiting_for(db, await world.principal_for(db, SIGNERS[0]))}
    assert street == {a.id: ["street"] for a in opened}  # not vacuous: A's street signs every one


async def test_the_statements_do_not_grow_with_the_open_acceptances(db, world, engine):
    staff = await world.principal_for(db, "street_staff:in")
    first = await _open(db, world, staff.id, supervised=True)
    with counted(engine) as one:
        assert [t.acceptance_id for t in await service.waiting_for(db, staff)] == [first.id]
    more = [await _open(db, world, staff.id, supervised=n % 2 == 0) for n in range(4)]
    with counted(engine) as five:
        tasks = await service.waiting_for(db, staff)
    assert {t.acceptance_id for t in tasks} == {first.id, *(a.id for a in more)}
    assert len(five) == len(one) == 5


async def _versions(db, *users) -> list[int]:
    rows = dict((await db.exec(select(User.id, User.principal_version).where(col(User.id).in_([u.id for u in users])))).all())
    return [rows[u.id] for u in users]


async def test_a_resident_named_in_no_open_round_costs_no_statement_after_the_first(db, world, engine):
    """On PostgreSQL the answer is kept for the resident's principal version; SQLite keeps no versions, so
    every call asks. A round of their estate that names someone else is nothing for them either way."""
    staff = await world.user_for(db, "community_staff:in")
    other = await world.user_for(db, "resident:in")
    a = await _open(db, world, staff.id, supervised=False)
    a.representatives = [str(other.id)]
    await add(db, a)
    resident = await world.principal_for(db, "resident:in")
    with counted(engine) as first:
        assert await service.waiting_for(db, resident) == []
    with counted(engine) as again:
        assert await service.waiting_for(db, resident) == []
    assert len(first) == 2  # the open rounds they can read, then those rounds (none names them)
    assert len(again) == (0 if engine.dialect.name == "postgresql" else 2)


async def test_a_resident_told_nothing_is_asked_once_a_round_names_them(client, db, world, engine):
    """Through the API: the resident's /me/tasks before any round (kept, on PostgreSQL), then a round that
    names them - their version moves with it, so the next request asks again and finds it."""
    await ready(db, world, committee=False)
    staff = await world.headers_for(db, "community_staff:in")
    rep = await world.user_for(db, "resident:in")
    rep_headers = await f.headers(db, rep)
    assert (await client.get(f"{API}/me/tasks", headers=rep_headers)).json()["signatures"] == []
    [before] = await _versions(db, rep)
    postgres = engine.dialect.name == "postgresql"
    assert ((rep.id, before) in service.NAMED_NOWHERE) is postgres

    a = await decide(client, staff, await open_round(client, staff, world, representatives=[str(rep.id)]))
    [after] = await _versions(db, rep)
    assert after == (before + 1 if postgres else before)
    tasks = (await client.get(f"{API}/me/tasks", headers=rep_headers)).json()["signatures"]
    assert [(t["acceptance_id"], t["roles"]) for t in tasks] == [(a["id"], ["resident_rep"])]


async def test_naming_users_in_an_open_round_moves_their_versions(db, world, engine):
    """Migration 0021's trigger: an open round's representatives, when it opens with them or its list
    changes; not its other changes, not its closing. SQLite has no trigger and keeps no versions."""
    staff = await world.user_for(db, "community_staff:in")
    u1, u2, u3 = [await world.user_for(db, "resident:in") for _ in range(3)]
    step = 1 if engine.dialect.name == "postgresql" else 0
    start = await _versions(db, u1, u2, u3)

    a = await _open(db, world, staff.id, supervised=False)  # opened naming no one
    a.representatives = [str(u1.id), str(u2.id)]
    await add(db, a)
    assert await _versions(db, u1, u2, u3) == [start[0] + step, start[1] + step, start[2]]
    a.remarks = "复核后更新"
    await add(db, a)
    assert await _versions(db, u1, u2, u3) == [start[0] + step, start[1] + step, start[2]]
    a.representatives = [str(u2.id), str(u3.id)]
    await add(db, a)
    assert await _versions(db, u1, u2, u3) == [start[0] + step, start[1] + 2 * step, start[2] + step]
    a.status = Status.passed
    await add(db, a)
    assert await _versions(db, u1, u2, u3) == [start[0] + step, start[1] + 2 * step, start[2] + step]


_IDS = [uuid.UUID(int=n) for n in range(1, 5)]
_SCOPED = [Role.street_staff, Role.community_staff, Role.contractor, Role.committee_member, Role.grid_worker,
           Role.supervisor]


@given(assignments=st.lists(st.tuples(st.sampled_from(_SCOPED), st.sampled_from(_IDS)), max_size=4),
       named=st.booleans(), supervised=st.booleans(),
       required=st.sets(st.sampled_from(["street", "community", "contractor", "committee", "resident_rep"]),
                        min_size=1))
def test_a_caller_with_no_scoped_signer_role_can_hold_only_the_representatives_role(assignments, named,
                                                                                    supervised, required):
    """What ``waiting_for`` keeps for a resident rests on this: without one of the roles ``_held`` grants
    through a scope, the only role it can grant is resident_rep. Every id below may match any scope."""
    user = User(id=uuid.uuid4(), display_name="居民")
    p = Principal(user=user, assignments=tuple(RoleAssignment(user_id=user.id, role=r, scope_type=ROLE_SCOPE[r],
                                                              scope_id=i) for r, i in assignments),
                  unit_ids=frozenset({_IDS[0]}))
    a = Acceptance(project_id=_IDS[0], estate_id=_IDS[0], content_hash="0" * 64, opened_by=_IDS[1],
                   roles=sorted(required), representatives=[str(user.id)] if named else [])
    estate = EstateRef(id=_IDS[0], name="小区", address=None, community_id=_IDS[1], community_name="社区",
                       street_id=_IDS[2], street_name="街道", district="区")
    orgs = defaultdict(set, {ProjectOrganizationRole.contractor: {_IDS[3]},
                                     **({ProjectOrganizationRole.supervision: {_IDS[3]}} if supervised else {})})
    held = service._held(p, a, estate, orgs)
    if service.signs_only_as_representative(p):
        assert held <= {SignatoryRole.resident_rep}
        assert (SignatoryRole.resident_rep in held) == (named and "resident_rep" in required)
    else:  # a scoped signer role is held: it counts where its scope matches the round
        assert any(r in {Role.street_staff, Role.community_staff, Role.contractor, Role.committee_member}
                   for r, _ in assignments)
