"""The demo seed loads the fixture estate and an account for every role, and can run again without change."""

import uuid

from sqlmodel import func, select

from app.auth.models import RoleAssignment, User
from app.auth.roles import Role
from app.demo import STAFF, _seed
from app.projects.models import Project, ProjectItem, ProjectOrganization, ProjectOrganizationRole
from app.registry.models import Building, Grid, Organization, PropertyUnit


async def _counts(db):
    return [
        (await db.exec(select(func.count()).select_from(model))).one()
        for model in (User, RoleAssignment, Building, PropertyUnit, Project, ProjectItem)
    ]


async def test_seed_loads_once_and_keeps_what_users_changed(db):
    first = await _seed(db)
    assert first["ledger"] == {"created": 84, "updated": 0, "unchanged": 0, "errors": 0}
    counts = await _counts(db)
    unit = (await db.exec(select(PropertyUnit).where(PropertyUnit.room_number == "101"))).first()
    unit.note = "用户改过的备注"
    db.add(unit)
    await db.flush()
    second = await _seed(db)
    assert second["already_loaded"] is True and second["estate_id"] == first["estate_id"]
    assert await _counts(db) == counts
    assert (await db.get(PropertyUnit, unit.id, populate_existing=True)).note == "用户改过的备注"


async def test_seed_creates_the_staff_logins_each_with_one_role(db):
    await _seed(db)
    phones = [phone for phone, *_ in STAFF]
    users = (await db.exec(select(User).where(User.phone.in_(phones)))).all()
    assert len(users) == len(STAFF) and all(u.password_hash for u in users)
    held = (await db.exec(select(User.phone, RoleAssignment.role).join(RoleAssignment, RoleAssignment.user_id == User.id)
                          .where(User.phone.in_(phones)))).all()
    assert sorted(held) == sorted((phone, role) for phone, _, role, _ in STAFF)  # one role each, supervisor too


async def test_seed_creates_the_demo_project_with_its_menu_items(db):
    summary = await _seed(db)
    project_id = uuid.UUID(summary["project_id"])
    items = (await db.exec(select(ProjectItem).where(ProjectItem.project_id == project_id))).all()
    assert len(items) == 4 and all(i.estimated_cost_fen > 0 for i in items)


async def test_demo_invitation_code_is_for_building_1_entrance_1_room_101(db):
    from app.registry.models import Building, Entrance, PropertyUnit
    from app.residency.models import InviteCode

    await _seed(db)
    invite = (await db.exec(select(InviteCode).where(InviteCode.code == "DEMO2026"))).one()
    unit = await db.get(PropertyUnit, invite.unit_id)
    names = ((await db.get(Building, unit.building_id)).name, (await db.get(Entrance, unit.entrance_id)).name)
    assert names + (unit.room_number,) == ("1栋", "1单元", "101")


async def test_seed_publishes_the_needs_survey_on_the_demo_project(db):
    from app.surveys.models import Questionnaire

    summary = await _seed(db)
    survey = await db.get(Questionnaire, uuid.UUID(summary["questionnaire_id"]))
    assert (survey.project_id, survey.status, survey.template) == (
        uuid.UUID(summary["project_id"]), "published", "renovation_needs")
    assert survey.closes_at is not None
    again = await _seed(db)
    assert again["already_loaded"] is True
    assert (await db.exec(select(func.count()).select_from(Questionnaire))).one() == 1


async def test_the_walk_has_a_grid_worker_in_each_grid_and_the_works_organisations(db):
    """The README's walk: paper ballots of both grids make the quorum (1栋 and 2栋 alone are 48 of 84
    units), and the contractor and the supervision company (a signatory of the acceptance) are linked to
    the project, each with a staff account."""
    summary = await _seed(db)
    assignments = (await db.exec(select(User.phone, RoleAssignment.role, RoleAssignment.scope_id)
                                 .join(RoleAssignment, RoleAssignment.user_id == User.id))).all()
    grids = (await db.exec(select(Grid.id, Grid.name))).all()
    workers = {name: [phone for phone, role, scope in assignments if role == Role.grid_worker and scope == grid_id]
               for grid_id, name in grids}
    assert workers == {"官黎坪第一网格": ["13900000004"], "官黎坪第二网格": ["13900000008"]}
    in_grid = (await db.exec(select(Building.name, Grid.name).join(Grid, Grid.id == Building.grid_id))).all()
    assert sorted(in_grid) == [("1栋", "官黎坪第一网格"), ("2栋", "官黎坪第一网格"), ("3栋", "官黎坪第二网格")]

    links = (await db.exec(select(ProjectOrganization.role, Organization.name, Organization.id)
                           .join(Organization, Organization.id == ProjectOrganization.organization_id)
                           .where(ProjectOrganization.project_id == uuid.UUID(summary["project_id"])))).all()
    staff = {org_id: [phone for phone, role, scope in assignments if role == Role.contractor and scope == org_id]
             for _, _, org_id in links}
    assert sorted((role, name, staff[org_id]) for role, name, org_id in links) == [
        (ProjectOrganizationRole.contractor, "永定城建工程有限公司", ["13900000006"]),
        (ProjectOrganizationRole.supervision, "张家界诚信建设监理有限公司", ["13900000009"]),
    ]
    assert {s["phone"] for s in summary["staff"]} == {phone for phone, *_ in STAFF}
