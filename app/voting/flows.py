"""What happens when a ballot enters each state of its procedure, in one place.

- Announced: the announcement (表决公告) goes to every owner of the units in scope who has an account;
  made with a ``ref``, so that its delivery per household can be shown (``announcements.coverage``).
- Opened: the owners in the electorate who have an account are told their vote is awaited.
- A day before the close, the worker reminds those of them whose vote is not cast yet (once per ballot).
- Closed: the preliminary result (初步结果公告) goes to the owners in the electorate, with the objection
  window.
- Final: the final result goes to them, and a ballot that decides the project moves it from voting to
  approved (every motion passed) or rejected, through the lifecycle - its guards check this ballot, and
  entering the new stage tells the residents (the projects domain's reaction).
- A correction of the electorate or an objection answered: whoever filed it is told the answer.
- Cancelled: the owners told of it are told it is cancelled, and why. A plan revised, or withdrawn from
  the vote, cancels the ballots held on it (``plan_revised``, ``plan_withdrawn``).

Notices go through the outbox in the same transaction as the change.
"""

import uuid
from datetime import timedelta

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


def announcement_ref(ballot: Ballot) -> str:
    return f"ballot:{ballot.id}:announced"


def _scope_owners(session: AsyncSession, ballot: Ballot):
    return residency.residents(session, registry.scope_unit_ids(
        ballot.estate_id, [uuid.UUID(b) for b in ballot.building_ids] or None,
        [uuid.UUID(e) for e in ballot.entrance_ids] or None), residency.OWNER_RELATIONS)


async def announced(session: AsyncSession, ballot: Ballot) -> int:
    estate = await registry.estate(session, ballot.estate_id)
    opens = clock.shanghai_text(ballot.opens_at)
    return await notify(session, Notice(
        template="ballot_announced", title=f"表决公告：{ballot.title}",
        body=f"「{ballot.title}」将于{opens}开始表决，{clock.shanghai_text(ballot.closes_at)}截止。开始前请核对选民名册，"
             "如有错漏可申请更正；不便网上投票的业主可通过网格员提交书面表决票。",
        data={"thing1": ballot.title, "thing2": estate.name if estate else "", "time3": ballot.opens_at,
              "thing4": "请核对选民名册，按时参加表决"},
        page=_page(ballot), ref=announcement_ref(ballot)), await _scope_owners(session, ballot))


async def cancelled(session: AsyncSession, ballot: Ballot) -> int:
    """Those told of the ballot (it was announced) learn it is cancelled, and why."""
    if ballot.announced_at is None:
        return 0
    return await notify(session, Notice(
        template="ballot_cancelled", title=f"表决取消：{ballot.title}",
        body=f"「{ballot.title}」已取消：{ballot.cancel_reason}。此前的表决公告和投票不再有效。",
        data={"thing1": ballot.title, "thing2": ballot.cancel_reason or "", "time3": ballot.cancelled_at},
        page=_page(ballot)), await _scope_owners(session, ballot))


async def preliminary(session: AsyncSession, ballot: Ballot, passed: bool) -> int:
    assert ballot.closed_at is not None
    until = clock.shanghai_text(ballot.closed_at + timedelta(days=ballot.objection_days))
    outcome = "通过" if passed else "未通过"
    return await notify(session, Notice(
        template="ballot_result", title=f"表决初步结果：{ballot.title}（{outcome}）",
        body=f"「{ballot.title}」初步结果：{outcome}。如有异议，请于{until}前提出；异议期满且异议均已答复后结果生效。",
        data={"thing1": ballot.title, "phrase2": f"初步{outcome}"[:5], "thing3": f"异议期至{until}",
              "time4": ballot.closed_at},
        page=_page(ballot)), await residency.bound_as(session, _persons(ballot, waiting_only=False),
                                                     residency.OWNER_RELATIONS))


async def final(session: AsyncSession, ballot: Ballot, actor_id: uuid.UUID | None, passed: bool,
                decides: bool) -> None:
    """The result stands: the owners are told, and a deciding ballot that may still decide (``decides``:
    held on the plan version still published) moves its project."""
    outcome = "通过" if passed else "未通过"
    await notify(session, Notice(
        template="ballot_result", title=f"表决结果：{ballot.title}（{outcome}）",
        body=f"「{ballot.title}」表决结果已确定：{outcome}。",
        data={"thing1": ballot.title, "phrase2": outcome, "thing3": "异议期已满，结果生效",
              "time4": ballot.finalized_at},
        page=_page(ballot)), await residency.bound_as(session, _persons(ballot, waiting_only=False),
                                                     residency.OWNER_RELATIONS))
    if not (ballot.decides_project and decides):
        return
    project = await projects.project(session, ballot.project_id)
    if project is None or project.status != ProjectStatus.voting:
        return
    target = ProjectStatus.approved if passed else ProjectStatus.rejected
    await moves.move(session, project.id, target, actor_id, note=f"表决「{ballot.title}」{outcome}")


async def answered(session: AsyncSession, ballot: Ballot, filed_by: uuid.UUID, what: str, outcome: str,
                   reply: str) -> int:
    """Whoever filed a correction or an objection (``what``) learns the answer (``outcome``, at most five
    characters, and the reply)."""
    return await notify(session, Notice(
        template="ballot_request_answered", title=f"您的{what}已答复：{outcome}",
        body=f"您就「{ballot.title}」提出的{what}已答复（{outcome}）：{reply}",
        data={"thing1": ballot.title, "phrase2": outcome, "thing3": reply, "time4": clock.now()},
        page=_page(ballot)), [filed_by])


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
