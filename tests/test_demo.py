"""The demo seed loads the fixture estate and one account per role, and can run again without change."""

import uuid

from sqlmodel import func, select

from app.auth.models import RoleAssignment, User
from app.demo import STAFF, _seed
from app.projects.models import Project, ProjectItem
from app.registry.models import Building, PropertyUnit


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


async def test_seed_creates_one_login_per_role(db):
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
    from app.auth.models import InviteCode
    from app.registry.models import Building, Entrance, PropertyUnit

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
