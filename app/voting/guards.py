"""The lifecycle guards the voting domain owns: voting -> approved needs the project's deciding ballot
closed with every motion passed; voting -> rejected needs it closed with one not passed. The deciding
ballot is the latest one marked ``decides_project``: after a rejection and a new plan, the new ballot
decides, never the old one."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.projects.lifecycle import Refusal, guard
from app.projects.reads import ProjectStatus
from app.voting import service
from app.voting.models import Ballot, BallotStatus

NO_DECISION = Refusal("项目的决定性表决尚未结束", "The project's deciding ballot has not closed")


async def deciding(session: AsyncSession, project_id) -> Ballot | None:
    return (await session.exec(select(Ballot).where(Ballot.project_id == project_id, col(Ballot.decides_project).is_(True))
                               .order_by(col(Ballot.created_at).desc()).limit(1))).first()


async def _outcome(session: AsyncSession, project) -> bool | Refusal:
    ballot = await deciding(session, project.id)
    if ballot is None or ballot.status != BallotStatus.closed:
        return NO_DECISION
    return await service.all_passed(session, ballot)


async def _passed(session: AsyncSession, project) -> bool | Refusal:
    outcome = await _outcome(session, project)
    if outcome is False:
        return Refusal("表决未通过，项目不能进入“表决通过”", "The ballot did not pass")
    return outcome


async def _rejected(session: AsyncSession, project) -> bool | Refusal:
    outcome = await _outcome(session, project)
    if outcome is True:
        return Refusal("表决已通过，项目不能进入“表决未通过”", "The ballot passed")
    return True if outcome is False else outcome


BALLOT_PASSED = guard("ballot_passed", [(ProjectStatus.voting, ProjectStatus.approved)],
                               "表决尚未通过", "The ballot has not passed", _passed)
BALLOT_REJECTED = guard("ballot_rejected", [(ProjectStatus.voting, ProjectStatus.rejected)],
                                 "表决尚未被否决", "The ballot has not been rejected", _rejected)
