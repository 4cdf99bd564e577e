"""/me/tasks' signatures (``service.waiting_for``): the roles each open acceptance waits for from the caller -
the same roles signing checks (``held_roles``) - read in statements that do not grow with the number of
open acceptances (each acceptance's estate and organisations were read one by one: five statements each)."""

from app.acceptance import service
from app.acceptance.models import Acceptance
from app.projects.models import ProjectOrganizationRole
from app.registry.models import OrganizationKind
from tests import factories as f
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
