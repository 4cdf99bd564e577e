"""What happens when a plan is published, when its project enters the notice stage, and when an
opinion is answered: in one place.

Residents hear of a plan when it is put to them: entering ``publicizing`` tells every resident of the
estate (a lifecycle reaction), and a version published while the project is already in ``publicizing``
(v2 after opinions) tells them at once. A version published while the project is still ``designing``
waits for the move, so that nobody is told twice. Notices go through the outbox in the same
transaction as the change.
"""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.notifications.events import Notice, notify
from app.plans.models import OpinionStatus, PlanOpinion, PlanStatus, PlanVersion
from app.projects import lifecycle
from app.projects import reads as projects
from app.registry import reads as registry
from app.residency import reads as residency

STATUS_NAMES = {
    OpinionStatus.pending: "待答复",
    OpinionStatus.adopted: "采纳",
    OpinionStatus.partially_adopted: "部分采纳",
    OpinionStatus.not_adopted: "不予采纳",
    OpinionStatus.noted: "已知悉",
}


def _page(plan: PlanVersion) -> str:
    return f"pages/plan/index?id={plan.id}"


async def _tell_residents(session: AsyncSession, plan: PlanVersion, project_name: str) -> int:
    assert plan.notice_ends_at is not None
    residents = await residency.residents(session, registry.estate_unit_ids(plan.estate_id))
    ends = clock.shanghai_text(plan.notice_ends_at)
    return await notify(session, Notice(
        template="plan_published", title=f"方案公示：{plan.title}",
        body=f"「{project_name}」的改造方案「{plan.title}」（第{plan.version}版）正在公示，公示期至{ends}。"
             "欢迎查看并提出意见。",
        data={"thing1": project_name, "thing2": plan.title, "date3": plan.notice_ends_at,
              "thing4": f"公示期至{ends}"},
        page=_page(plan)), residents)


async def published(session: AsyncSession, plan: PlanVersion) -> None:
    project = await projects.project(session, plan.project_id)
    if project is not None and project.status == projects.ProjectStatus.publicizing:
        await _tell_residents(session, plan, project.name)


async def entered_publicizing(session: AsyncSession, entered: lifecycle.Entered) -> None:
    plan = (await session.exec(select(PlanVersion).where(
        PlanVersion.project_id == entered.project.id, PlanVersion.status == PlanStatus.published))).first()
    if plan is not None:  # the guard plan_published saw to it
        await _tell_residents(session, plan, entered.project.name)



async def replied(session: AsyncSession, opinion: PlanOpinion, plan: PlanVersion) -> None:
    """The author of an opinion learns the answer (a proxy entry has no account to tell)."""
    if opinion.author_id is None:
        return
    status = STATUS_NAMES[opinion.status]
    await notify(session, Notice(
        template="opinion_replied", title=f"您的意见已答复：{status}",
        body=f"您对方案「{plan.title}」提出的意见已答复（{status}）：{opinion.reply}",
        data={"thing1": plan.title, "phrase2": status, "thing3": opinion.reply or "", "time4": opinion.replied_at},
        page=_page(plan)), [opinion.author_id])
