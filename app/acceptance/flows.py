"""Who is told what in acceptance, in one place (through the outbox, in the change's transaction):

- a round opened: every account that may sign for a required role (``signature_requested``);
- the record changed after signatures: their signers, to read it again and sign anew.

The outcome is told by the lifecycle: entering ``accepted`` or ``constructing`` notifies the estate's
residents (the projects domain), the satisfaction survey is published to them (questionnaires), and a
rejection's rectification orders reach the contractor (supervision).
"""

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from app.acceptance.models import Acceptance
from app.core import clock
from app.notifications.events import Notice, notify


def _notice(a: Acceptance, project_name: str, body: str) -> Notice:
    document = f"第{a.round}轮竣工验收记录"
    return Notice(template="signature_requested", title=f"{project_name}：{document}待签字", body=body,
                  data={"thing1": document, "thing2": project_name, "time3": clock.now()},
                  page=f"pages/acceptance/index?id={a.id}")


async def opened(session: AsyncSession, a: Acceptance, project_name: str, signers: list[uuid.UUID]) -> None:
    await notify(session, _notice(a, project_name, f"「{project_name}」第{a.round}轮竣工验收已发起，请查看验收记录并签字。"),
                 signers)


async def invalidated(session: AsyncSession, a: Acceptance, project_name: str, signers: list[uuid.UUID]) -> None:
    await notify(session, _notice(a, project_name, f"「{project_name}」的竣工验收记录已修改，您此前的签字已失效，"
                                                   "请重新查看并签字。"), signers)
