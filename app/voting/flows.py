"""What happens when a ballot opens, nears its close and closes, in one place.

- Opening tells the owners in the electorate who have an account (bound as an owner on record) that
  their vote is awaited.
- A day before the close, the worker reminds those of them whose vote is not cast yet (once per ballot).
- Closing a ballot that decides the project moves it from voting to approved (every motion passed) or
  rejected, through the lifecycle - its guards check this ballot, and entering the new stage tells the
  residents (the projects domain's reaction).

Notices go through the outbox in the same transaction as the change.
"""

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock
from app.notifications.events import Notice, notify
from app.projects import moves
from app.projects import reads as projects
from app.projects.reads import ProjectStatus
from app.registry import reads as registry
from app.residency import reads as residency
from app.voting.models import Ballot, BallotCast, BallotVoterPerson


def _page(ballot: Ballot) -> str:
    return f"pages/ballot/index?id={ballot.id}"


def _persons(ballot: Ballot, *, waiting_only: bool):
    persons = select(BallotVoterPerson.person_id).where(BallotVoterPerson.ballot_id == ballot.id)
    if waiting_only:
        persons = persons.where(col(BallotVoterPerson.voter_id).not_in(select(BallotCast.voter_id).where(
            BallotCast.ballot_id == ballot.id, col(BallotCast.is_current).is_(True))))
    return persons


async def opened(session: AsyncSession, ballot: Ballot) -> int:
    estate = await registry.estate(session, ballot.estate_id)
    closes = clock.shanghai_text(ballot.closes_at)
    return await notify(session, Notice(
        template="ballot_open", title=f"表决开始：{ballot.title}",
        body=f"「{ballot.title}」已开始表决，截止时间{closes}。请在截止前投票，每户一票。",
        data={"thing1": ballot.title, "thing2": estate.name if estate else "", "time3": ballot.closes_at,
              "thing4": "请在截止前投票"},
        page=_page(ballot)), await residency.bound_as(session, _persons(ballot, waiting_only=False), residency.OWNER_RELATIONS))


async def closing_soon(session: AsyncSession, ballot: Ballot) -> int:
    """Remind the owners whose vote is not cast yet; the ballot remembers that it did."""
    closes = clock.shanghai_text(ballot.closes_at)
    sent = await notify(session, Notice(
        template="ballot_closing", title=f"表决即将截止：{ballot.title}",
        body=f"「{ballot.title}」将于{closes}截止，您的表决票尚未提交。",
        data={"thing1": ballot.title, "time2": ballot.closes_at, "thing3": "您尚未投票，请在截止前投票"},
        page=_page(ballot)), await residency.bound_as(session, _persons(ballot, waiting_only=True), residency.OWNER_RELATIONS))
    ballot.reminded_at = clock.now()
    session.add(ballot)
    await session.flush()
    return sent


async def closed(session: AsyncSession, ballot: Ballot, actor_id: uuid.UUID | None, passed: bool) -> None:
    if not ballot.decides_project:
        return
    project = await projects.project(session, ballot.project_id)
    if project is None or project.status != ProjectStatus.voting:
        return
    target = ProjectStatus.approved if passed else ProjectStatus.rejected
    await moves.move(session, project.id, target, actor_id, note=f"表决「{ballot.title}」{'通过' if passed else '未通过'}")
