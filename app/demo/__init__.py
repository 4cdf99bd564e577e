"""``python -m app seed-demo``: the fictional demo estate and a staff account for every role. Idempotent.

The ledger is the fixture of shared/fixtures (84 units in 3 buildings). Every account's password is
``DEMO_PASSWORD``; the README lists them. The README's walk takes the project from surveying to
acceptance with them: a grid worker in each grid (paper ballots reach the two-thirds quorum only with
both grids' units), and the contractor and the supervision company (监理单位, a signatory of the
acceptance) linked to the project, each with an account.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import RoleAssignment, User
from app.auth.principal import Principal
from app.auth.roles import ROLE_SCOPE, Role
from app.core import audit, clock
from app.core.db import dispose_engine, get_sessionmaker
from app.core.security import hash_password
from app.projects.models import FundingSource, Project, ProjectItem, ProjectOrganization, ProjectOrganizationRole
from app.projects.reads import project_ref
from app.registry import reads as registry_reads
from app.registry.importer import import_ledger
from app.registry.models import (
    Building,
    Community,
    Entrance,
    Estate,
    Grid,
    Organization,
    OrganizationKind,
    PropertyUnit,
    Street,
)
from app.residency.models import InviteCode
from app.surveys import service as surveys
from app.surveys.schemas import QuestionnaireCreate

LEDGER = Path(__file__).with_name("registry_demo_estate.csv")
DEMO_PASSWORD = "Demo@2026"
DEMO_INVITE_CODE = "DEMO2026"

# (menu code, estimated cost in fen, funding source) of the demo project
DEMO_ITEMS = [
    ("basic.roof_waterproofing", 86_000_000, FundingSource.central_provincial),
    ("basic.rain_sewage_separation", 152_000_000, FundingSource.special_bonds),
    ("improvement.elevator", 120_000_000, FundingSource.residents),
    ("improvement.parking", 45_000_000, FundingSource.local),
]

# (phone, display name, role or None, which demo object scopes the role)
STAFF: list[tuple[str, str, Role, str | None]] = [
    ("13900000001", "系统管理员", Role.admin, None),
    ("13900000002", "街道干部 李主任", Role.street_staff, "street"),
    ("13900000003", "社区干部 王书记", Role.community_staff, "community"),
    ("13900000004", "网格员 张敏", Role.grid_worker, "grid1"),
    ("13900000005", "义务监督员 刘师傅", Role.supervisor, "project"),
    ("13900000006", "施工单位 陈经理", Role.contractor, "contractor"),
    ("13900000007", "业委会 赵主任", Role.committee_member, "estate"),
    ("13900000008", "网格员 周丽", Role.grid_worker, "grid2"),
    ("13900000009", "监理单位 孙工", Role.contractor, "supervision"),  # staff of the supervision company
]


async def _get_or_create(session: AsyncSession, model, defaults: dict[str, Any] | None = None, **keys):
    found = (await session.exec(select(model).filter_by(**keys))).first()
    if found is None:
        found = model(**keys, **(defaults or {}))
        session.add(found)
        await session.flush()
    return found


async def _seed(session: AsyncSession) -> dict[str, Any]:
    """Load the demo once. Run again, it changes nothing - not even what users changed since - and says so."""
    loaded = (await session.exec(select(Estate.id).join(Community, col(Community.id) == Estate.community_id)
                                 .join(Street, col(Street.id) == Community.street_id)
                                 .where(Street.name == "西溪坪街道", Estate.name == "电力小区"))).first()
    if loaded is not None:
        return {"estate_id": str(loaded), "already_loaded": True,
                "message": "演示数据已存在，未作任何改动 (the demo is already loaded; nothing was changed)"}
    street = await _get_or_create(session, Street, district="永定区", name="西溪坪街道")
    community = await _get_or_create(session, Community, street_id=street.id, name="官黎坪社区")
    estate = await _get_or_create(
        session, Estate, community_id=community.id, name="电力小区", defaults={"address": "永定区官黎坪路 18 号", "built_year": 1996}
    )
    report = await import_ledger(session, estate.id, LEDGER.name, LEDGER.read_bytes())

    buildings = {b.name: b for b in (await session.exec(select(Building).where(Building.estate_id == estate.id))).all()}
    grid1 = await _get_or_create(session, Grid, community_id=community.id, name="官黎坪第一网格")
    grid2 = await _get_or_create(session, Grid, community_id=community.id, name="官黎坪第二网格")
    for name, grid in (("1栋", grid1), ("2栋", grid1), ("3栋", grid2)):
        buildings[name].grid_id = grid.id
        session.add(buildings[name])

    contractor = await _get_or_create(
        session, Organization, name="永定城建工程有限公司",
        defaults={"kind": OrganizationKind.contractor, "street_id": street.id},  # a contractor of the street
    )
    supervision = await _get_or_create(session, Organization, name="张家界诚信建设监理有限公司",
                                       defaults={"kind": OrganizationKind.supervision, "street_id": street.id})
    await _get_or_create(session, Organization, name="湘西规划设计院", defaults={"kind": OrganizationKind.designer})

    project = await _get_or_create(
        session, Project, estate_id=estate.id, name="电力小区综合改造",
        defaults={"year": 2026, "description": "屋面防水、雨污分流、加装电梯与停车设施"},
    )
    for code, cost_fen, funding in DEMO_ITEMS:
        await _get_or_create(
            session, ProjectItem, project_id=project.id, item_code=code,
            defaults={"estimated_cost_fen": cost_fen, "funding_source": funding},
        )
    for organization, link_role in ((contractor, ProjectOrganizationRole.contractor),
                                    (supervision, ProjectOrganizationRole.supervision)):
        await _get_or_create(session, ProjectOrganization, project_id=project.id, organization_id=organization.id,
                             role=link_role)

    staff_users: dict[str, tuple[User, RoleAssignment]] = {}
    scopes = {"street": street.id, "community": community.id, "grid1": grid1.id, "grid2": grid2.id,
              "estate": estate.id, "project": project.id, "contractor": contractor.id, "supervision": supervision.id}
    for phone, name, role, scope_key in STAFF:
        user = await _get_or_create(session, User, phone=phone, defaults={"display_name": name})
        if not user.password_hash:
            user.password_hash = hash_password(DEMO_PASSWORD)
            session.add(user)
        scope_id = scopes[scope_key] if scope_key else None
        staff_users[phone] = user, await _get_or_create(
            session, RoleAssignment, user_id=user.id, role=role, scope_id=scope_id,
            defaults={"scope_type": ROLE_SCOPE[role]},
        )

    invited_unit = (
        await session.exec(
            select(PropertyUnit)
            .join(Entrance, col(Entrance.id) == PropertyUnit.entrance_id)
            .where(PropertyUnit.building_id == buildings["1栋"].id, Entrance.name == "1单元",
                   PropertyUnit.room_number == "101")
        )
    ).one()
    owner = next(o for o in await registry_reads.occupants(session, invited_unit.id) if o.relation == "owner")
    await _get_or_create(
        session, InviteCode, code=DEMO_INVITE_CODE,
        defaults={"unit_id": invited_unit.id, "person_id": owner.person_id,
                  "expires_at": clock.now() + timedelta(days=365)},
    )
    # The community (王书记) publishes the renovation needs survey (改造需求调查) for a month.
    user, assignment = staff_users["13900000003"]
    community_staff = Principal(user=user, assignments=(assignment,))
    survey = await surveys.create(session, community_staff.id, project_ref(project),
                                  QuestionnaireCreate(template="renovation_needs"))
    await surveys.publish(session, community_staff.id, survey, clock.now() + timedelta(days=30))
    await session.flush()
    return {
        "estate_id": str(estate.id),
        "project_id": str(project.id),
        "questionnaire_id": str(survey.id),
        "ledger": {"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                   "errors": len(report.errors)},
        "staff_password": DEMO_PASSWORD,
        "staff": [{"phone": phone, "name": name, "role": role.value} for phone, name, role, _ in STAFF],
        "invite_code": DEMO_INVITE_CODE,
    }


async def seed_demo() -> dict[str, Any]:
    try:
        async with get_sessionmaker()() as session:
            async with session.begin():
                summary = await _seed(session)
        await audit.drain()
        return summary
    finally:
        await dispose_engine()
