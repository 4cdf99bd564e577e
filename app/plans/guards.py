"""The lifecycle guards the plans domain owns: the plan is published (designing -> publicizing), and its
notice period is over (publicizing -> voting). Both look at the project's latest version: a newer draft
means the plan residents would vote on is not the one they were shown."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.plans.models import PlanStatus, PlanVersion
from app.projects.lifecycle import Refusal, guard
from app.projects.reads import ProjectStatus


async def latest(session: AsyncSession, project_id) -> PlanVersion | None:
    return (await session.exec(select(PlanVersion).where(PlanVersion.project_id == project_id)
                               .order_by(col(PlanVersion.version).desc()).limit(1))).first()


async def _published(session: AsyncSession, project) -> bool | Refusal:
    plan = await latest(session, project.id)
    if plan is None:
        return False
    if plan.status != PlanStatus.published:
        return Refusal(f"方案第{plan.version}版尚未发布，请先发布最新版本",
                       f"Version {plan.version} of the plan is not published yet: publish the latest version")
    return True


async def _notice_over(session: AsyncSession, project) -> bool | Refusal:
    plan = await latest(session, project.id)
    if plan is None or plan.status != PlanStatus.published or plan.notice_ends_at is None:
        return Refusal("方案的最新版本尚未发布公示", "The latest version of the plan is not published for notice")
    if plan.notice_ends_at > clock.now():
        ends = clock.shanghai_text(plan.notice_ends_at)
        return Refusal(f"方案公示期至{ends}（北京时间）结束，届时方可进入表决",
                       f"The notice period ends on {ends} (Beijing time); voting can start after that")
    return True


PLAN_PUBLISHED = guard(
    "plan_published",
    [(ProjectStatus.designing, ProjectStatus.publicizing)],
    "请先发布设计方案",
    "Publish the design plan first",
    _published,
)
NOTICE_PERIOD_ENDED = guard(
    "notice_period_ended",
    [(ProjectStatus.publicizing, ProjectStatus.voting)],
    "方案公示期尚未结束",
    "The plan's notice period has not ended",
    _notice_over,
)
