"""The lifecycle guard supervision owns: constructing -> accepting needs every rectification order of the
project closed or waived; the refusal says how many are open and the nearest due date."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.projects.lifecycle import Refusal, guard
from app.projects.reads import ProjectStatus
from app.supervision import service


async def _closed(session: AsyncSession, project) -> bool | Refusal:
    count, nearest = await service.open_orders(session, project.id)
    if count == 0:
        return True
    when = clock.shanghai_text(nearest)
    return Refusal(f"还有{count}张整改单未完成，最近的整改期限为{when}",
                   f"{count} rectification order(s) still open; the nearest is due {when} (Beijing time)")


RECTIFICATIONS_CLOSED = guard(
    "rectifications_closed", [(ProjectStatus.constructing, ProjectStatus.accepting)],
    "还有整改单未完成", "Rectification orders are still open", _closed)
