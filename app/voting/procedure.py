"""The procedure around a ballot (业主共同决定程序, docs/ballot-procedure.md) as pure functions: no database, no FastAPI.

Exact tallies are worth nothing if the procedure can be challenged: an owner may ask a court to revoke a
decision of the owners that infringes their rights (Civil Code art. 280), within a year of learning of it
(the Supreme People's Court interpretation on building ownership, art. 12). So a ballot under the Civil
Code rules follows a procedure that leaves a record of every step:

- **States** ``draft -> announced -> open -> closed -> final``, and ``cancelled`` from any state but
  ``final``. Only a final result decides anything.
- **Announced ahead** (表决公告): an owners' meeting is announced to every owner at least 15 days before it
  is held (物业管理条例 art. 14; 业主大会和业主委员会指导规则 art. 22). ``notice_days`` defaults to 15 and
  can be no less under the Civil Code rules; the other rules (a street's own consultations) may shorten it.
- **Tied to the project**: a ballot that decides the project, or whose motion names a plan version, is
  announced and opened only while the project is in ``voting`` (so the plan's notice period has ended)
  and only on the plan version currently published; it counts for the lifecycle only while that version is
  still the current one.
- **Checked before it is frozen**: while announced, owners may ask to correct the electorate; it opens
  only once every correction is answered.
- **Preliminary, then final**: at the close the result is preliminary; for ``objection_days`` (default 7)
  owners may object; it becomes final once the window has passed and every objection is answered.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.voting.rules import Rule


class Stage(StrEnum):
    """The states of a ballot (``app.voting.models.BallotStatus`` has the same values; a test keeps them so)."""

    draft = "draft"
    announced = "announced"
    open = "open"
    closed = "closed"  # counted: the preliminary result (初步结果), open to objections
    final = "final"  # the objection window passed and every objection answered: the result decides
    cancelled = "cancelled"


EDGES: frozenset[tuple[Stage, Stage]] = frozenset({
    (Stage.draft, Stage.announced), (Stage.announced, Stage.open), (Stage.open, Stage.closed),
    (Stage.closed, Stage.final),
    *((s, Stage.cancelled) for s in (Stage.draft, Stage.announced, Stage.open, Stage.closed)),
})

# The rules of Civil Code art. 278: the whole procedure applies to them.
CIVIL_CODE_RULES = frozenset({Rule.civil_code_major, Rule.civil_code_ordinary})
NOTICE_DAYS = 15  # 物业管理条例 art. 14: fifteen days before the meeting
OBJECTION_DAYS = 7
MAX_DAYS = 90


def may_move(current: str, target: str) -> bool:
    return (Stage(current), Stage(target)) in EDGES


def min_notice_days(rule: Rule) -> int:
    """The shortest notice the rule allows: 15 days under the Civil Code rules, none otherwise."""
    return NOTICE_DAYS if rule in CIVIL_CODE_RULES else 0


def is_tied(decides_project: bool, motion_plan_ids: Iterable[object]) -> bool:
    """Whether the ballot is tied to the project's stage and plan: it decides the project, or one of its
    motions names a plan version."""
    return decides_project or any(p is not None for p in motion_plan_ids)


@dataclass(frozen=True)
class Schedule:
    """When a ballot is announced, opens and closes, and the windows it keeps."""

    rule: Rule
    notice_days: int
    objection_days: int
    opens_at: datetime
    closes_at: datetime


def schedule_problems(s: Schedule, announced_at: datetime | None) -> list[str]:
    """What stops the ballot being announced at ``announced_at`` with this schedule (empty: nothing); with
    ``announced_at`` None, what is wrong with the schedule whenever it is announced (a draft)."""
    problems = []
    least = min_notice_days(s.rule)
    if not least <= s.notice_days <= MAX_DAYS:
        problems.append(f"notice_days must be between {least} and {MAX_DAYS} under this rule")
    if announced_at is not None and s.notice_days and s.opens_at < announced_at + timedelta(days=s.notice_days):
        problems.append(f"opens_at must be at least {s.notice_days} days after the announcement")
    if s.closes_at <= s.opens_at:
        problems.append("closes_at must be after opens_at")
    if not 1 <= s.objection_days <= MAX_DAYS:
        problems.append(f"objection_days must be between 1 and {MAX_DAYS}")
    return problems


def tie_problems(tied: bool, project_stage: str, current_plan: object | None,
                 motion_plan_ids: Iterable[object]) -> list[str]:
    """What stops a tied ballot being announced or opened now: the project must be in ``voting`` and every
    motion that names a plan must name the version currently published (``current_plan``)."""
    if not tied:
        return []
    problems = []
    if project_stage != "voting":
        problems.append("the project is not in the voting stage")
    if current_plan is None:
        problems.append("the project has no published plan version")
    stale = [p for p in motion_plan_ids if p is not None and p != current_plan]
    if stale:
        problems.append("a motion names a plan version that is not the one currently published")
    return problems


def objection_window(closed_at: datetime, objection_days: int) -> tuple[datetime, datetime]:
    """From the close to ``objection_days`` later."""
    return closed_at, closed_at + timedelta(days=objection_days)


def may_object(stage: str, now: datetime, closed_at: datetime | None, objection_days: int) -> bool:
    """Objections are heard while the preliminary result stands and its window is open."""
    if Stage(stage) != Stage.closed or closed_at is None:
        return False
    start, end = objection_window(closed_at, objection_days)
    return start <= now < end


def may_finalize(stage: str, now: datetime, closed_at: datetime | None, objection_days: int,
                 unanswered_objections: int) -> bool:
    """The result becomes final once its window has passed and every objection is answered."""
    if Stage(stage) != Stage.closed or closed_at is None:
        return False
    return now >= objection_window(closed_at, objection_days)[1] and unanswered_objections == 0


def decides(stage: str, tied_plan: object | None, current_plan: object | None, opened_in_voting: bool) -> bool:
    """Whether a deciding ballot may move the project: its result is final, it was announced and opened in
    the voting stage, and the plan version it was held on is still the one published."""
    return (Stage(stage) == Stage.final and opened_in_voting and tied_plan is not None
            and tied_plan == current_plan)
