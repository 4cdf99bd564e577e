"""The lifecycle guards the voting domain owns: voting -> approved needs the project's deciding ballot
final with every motion passed; voting -> rejected needs it final with one not passed (docs/ballot-procedure.md).

The deciding ballot is the latest one marked ``decides_project`` that was not cancelled: after a rejection
and a new plan, the new ballot decides, never the old one. Its result counts only once final (the
objection window passed, every objection answered), and only while the plan version it was held on is
still the one published - it could be announced and opened in the voting stage only
(``service.open_ballot``, ``announcements.announce``)."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.plans import reads as plans
from app.projects.lifecycle import Refusal, guard
from app.projects.reads import ProjectStatus
from app.voting import procedure, service
from app.voting.models import Ballot, BallotStatus

NO_DECISION = Refusal("项目的决定性表决尚未结束", "The project's deciding ballot has not closed")


async def deciding(session: AsyncSession, project_id) -> Ballot | None:
    return (await session.exec(select(Ballot).where(
        Ballot.project_id == project_id, col(Ballot.decides_project).is_(True), Ballot.status != BallotStatus.cancelled)
        .order_by(col(Ballot.created_at).desc()).limit(1))).first()


async def _outcome(session: AsyncSession, project) -> bool | Refusal:
    ballot = await deciding(session, project.id)
    if ballot is None or ballot.status not in service.COUNTED:
        return NO_DECISION
    if ballot.status == BallotStatus.closed:
        assert ballot.closed_at is not None
        until = clock.shanghai_text(procedure.objection_window(ballot.closed_at, ballot.objection_days)[1])
        return Refusal(f"表决结果为初步结果，异议期至{until}（北京时间），异议均答复后方可生效",
                       f"The result is preliminary: objections are heard until {until} (Beijing time)")
    current = await plans.current_version(session, project.id)
    if not procedure.decides(ballot.status, ballot.plan_version_id, current.id if current else None, True):
        return Refusal("表决所依据的方案版本已不是现行公示版本", "The ballot was held on a plan version no longer published")
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
