"""What the projects domain does when a project enters a stage: tell the estate's residents.

Declared as a lifecycle reaction on entering every stage (the domain's manifest), so it runs in the
transition's transaction and a notice exists exactly when the move does. Other domains declare their own
(entering ``publicizing`` tells residents of the plan, entering ``accepted`` starts the satisfaction
survey) in their manifests.
"""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.notifications.events import Notice, notify
from app.projects.lifecycle import STATE_NAMES, Entered
from app.registry import reads as registry
from app.residency import reads as residency


async def notify_residents(session: AsyncSession, entered: Entered) -> None:
    """Every resident bound in the project's estate learns the new stage (inbox; WeChat if subscribed)."""
    project = entered.project
    stage = STATE_NAMES[entered.to_state]
    residents = await residency.residents(session, registry.estate_unit_ids(project.estate_id))
    await notify(session, Notice(
        template="project_stage",
        title=f"{project.name}：{stage}",
        body=f"您所在小区的改造项目「{project.name}」已进入「{stage}」阶段。",
        data={"thing1": project.name, "phrase2": stage, "time3": clock.now(), "thing4": "点击查看项目进展"},
        page=f"pages/project/index?id={project.id}",
    ), residents)

