"""A resident's votes in their data (docs/personal-information.md): every cast for a voter their persons belong to, or that
they made, with its receipt and choices; the corrections and objections they filed. Closing the account
changes none of it: a vote stays with the person for the ballot's legal retention (docs/ballot-procedure.md), and what was
filed is part of the ballot's procedure."""

from collections import defaultdict
from typing import Any

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.privacy.holders import Subject
from app.voting.models import (
    Ballot,
    BallotCast,
    BallotChoice,
    BallotVoterPerson,
    ElectorateCorrection,
    Motion,
    Objection,
)


async def export(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    # The voters first: with them as values, both sides of the OR are read through their indexes (with a
    # subquery in its place, PostgreSQL reads every cast in the city to test each against it).
    voters = (await session.exec(select(BallotVoterPerson.voter_id)
                                 .where(col(BallotVoterPerson.person_id).in_(subject.person_ids)))).all()
    casts = (await session.exec(
        select(BallotCast, Ballot.title).join(Ballot, col(Ballot.id) == BallotCast.ballot_id)
        .where(or_(col(BallotCast.voter_id).in_(voters), col(BallotCast.cast_by) == subject.user_id))
        .order_by(col(BallotCast.created_at), col(BallotCast.id)))).all()
    choices: dict[Any, list[dict]] = defaultdict(list)
    for choice, motion in (await session.exec(
            select(BallotChoice, Motion.title).join(Motion, col(Motion.id) == BallotChoice.motion_id)
            .where(col(BallotChoice.cast_id).in_([c.id for c, _ in casts])))).all():
        choices[choice.cast_id].append({"motion_id": choice.motion_id, "motion": motion, "choice": choice.choice})
    corrections = (await session.exec(select(ElectorateCorrection).where(ElectorateCorrection.filed_by == subject.user_id)
                                      .order_by(col(ElectorateCorrection.filed_at)))).all()
    objections = (await session.exec(select(Objection).where(Objection.filed_by == subject.user_id)
                                     .order_by(col(Objection.filed_at)))).all()
    return {
        "votes": [{"ballot_id": c.ballot_id, "ballot": title, "voter_id": c.voter_id, "receipt": c.receipt,
                   "channel": c.channel, "cast_by_you": c.cast_by == subject.user_id, "counts": c.is_current,
                   "cast_at": c.created_at, "choices": choices[c.id]} for c, title in casts],
        "electorate_corrections": [{"id": r.id, "ballot_id": r.ballot_id, "unit_id": r.unit_id, "kind": r.kind,
                                    "note": r.note, "filed_at": r.filed_at, "accepted": r.accepted,
                                    "reply": r.reply} for r in corrections],
        "objections": [{"id": o.id, "ballot_id": o.ballot_id, "kind": o.kind, "note": o.note,
                        "filed_at": o.filed_at, "reply": o.reply} for o in objections],
    }
