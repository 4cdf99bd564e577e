"""The procedure around a ballot (``app.voting.procedure``): its states, the notice owed to owners, the
tie to the project's plan, the objection window - at the boundaries and as properties."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.auth.residence import RANK, Assurance, stronger, sufficient
from app.voting import procedure
from app.voting.models import BallotStatus
from app.voting.procedure import Schedule, Stage
from app.voting.rules import Rule

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_the_stages_are_the_ballot_statuses():
    assert {s.value for s in Stage} == {s.value for s in BallotStatus}


def test_the_only_way_to_a_decision_is_through_every_step():
    path = [Stage.draft, Stage.announced, Stage.open, Stage.closed, Stage.final]
    assert all(procedure.may_move(a, b) for a, b in zip(path, path[1:], strict=False))
    assert not procedure.may_move(Stage.draft, Stage.open)  # never opened unannounced
    assert not procedure.may_move(Stage.open, Stage.final)  # never final without the objection window
    assert not procedure.may_move(Stage.final, Stage.cancelled)  # a final result stands
    assert all(procedure.may_move(s, Stage.cancelled) for s in path[:-1])
    assert not any(procedure.may_move(Stage.cancelled, s) for s in Stage)


def _schedule(rule=Rule.civil_code_major, notice=15, objection=7, opens=T0 + 15 * DAY, closes=T0 + 22 * DAY):
    return Schedule(rule, notice, objection, opens, closes)


def test_the_civil_code_rules_owe_fifteen_days_notice():
    assert procedure.schedule_problems(_schedule(), T0) == []
    assert procedure.schedule_problems(_schedule(notice=14, opens=T0 + 14 * DAY), T0) == [
        "notice_days must be between 15 and 90 under this rule"]
    # fifteen days to the minute, not a minute less
    assert procedure.schedule_problems(_schedule(opens=T0 + 15 * DAY - timedelta(minutes=1)), T0) == [
        "opens_at must be at least 15 days after the announcement"]
    assert procedure.schedule_problems(_schedule(rule=Rule.civil_code_ordinary, notice=10), T0) != []


def test_other_rules_may_shorten_the_notice():
    assert procedure.schedule_problems(_schedule(rule=Rule.simple_majority, notice=0, opens=T0), T0) == []
    assert procedure.schedule_problems(_schedule(rule=Rule.custom, notice=3, opens=T0 + 2 * DAY), T0) == [
        "opens_at must be at least 3 days after the announcement"]


def test_a_schedule_that_does_not_add_up_is_refused():
    assert "closes_at must be after opens_at" in procedure.schedule_problems(_schedule(closes=T0 + 15 * DAY), T0)
    assert "objection_days must be between 1 and 90" in procedure.schedule_problems(_schedule(objection=0), T0)


@given(st.sampled_from(list(Rule)), st.integers(min_value=-5, max_value=120), st.integers(min_value=0, max_value=200))
def test_an_announcement_is_accepted_exactly_when_the_notice_is_long_enough(rule, notice, lead_hours):
    opens = T0 + timedelta(hours=lead_hours)
    problems = procedure.schedule_problems(_schedule(rule=rule, notice=notice, opens=opens, closes=opens + DAY), T0)
    # No notice owed (a street's own consultation): it may open as it is announced.
    ok = procedure.min_notice_days(rule) <= notice <= procedure.MAX_DAYS and (notice == 0 or lead_hours >= notice * 24)
    assert (problems == []) == ok


def test_a_tied_ballot_needs_the_voting_stage_and_the_current_plan():
    v1, v2 = "plan-v1", "plan-v2"
    assert procedure.is_tied(True, []) and procedure.is_tied(False, [None, v1]) and not procedure.is_tied(False, [None])
    assert procedure.tie_problems(True, "voting", v2, [v2, None]) == []
    assert procedure.tie_problems(True, "publicizing", v2, [v2]) == ["the project is not in the voting stage"]
    assert procedure.tie_problems(True, "voting", v2, [v1]) == [
        "a motion names a plan version that is not the one currently published"]
    assert procedure.tie_problems(True, "voting", None, []) == ["the project has no published plan version"]
    assert procedure.tie_problems(False, "surveying", None, []) == []  # an untied consultation


def test_objections_are_heard_in_their_window_only():
    closed = T0
    assert procedure.may_object("closed", closed, closed, 7)
    assert procedure.may_object("closed", closed + 7 * DAY - timedelta(seconds=1), closed, 7)
    assert not procedure.may_object("closed", closed + 7 * DAY, closed, 7)
    assert not procedure.may_object("open", closed, closed, 7)
    assert not procedure.may_object("final", closed + DAY, closed, 7)


@given(st.integers(min_value=0, max_value=20 * 24), st.integers(min_value=1, max_value=14), st.integers(0, 3))
def test_a_result_is_final_exactly_after_its_window_with_every_objection_answered(hours, days, unanswered):
    now = T0 + timedelta(hours=hours)
    final = procedure.may_finalize("closed", now, T0, days, unanswered)
    assert final == (hours >= days * 24 and unanswered == 0)
    assert not (final and procedure.may_object("closed", now, T0, days))  # never both at once


def test_only_a_final_result_on_the_current_plan_decides():
    assert procedure.decides("final", "v2", "v2", True)
    assert not procedure.decides("closed", "v2", "v2", True)  # preliminary
    assert not procedure.decides("final", "v1", "v2", True)  # the plan was revised since
    assert not procedure.decides("final", "v2", "v2", False)  # opened outside the voting stage
    assert not procedure.decides("final", None, None, True)


def test_assurance_order():
    assert sufficient(Assurance.in_person, Assurance.phone_match)
    assert sufficient(Assurance.phone_match, Assurance.phone_match)
    assert not sufficient(Assurance.invite_code, Assurance.phone_match)
    assert not sufficient(None, Assurance.invite_code)
    assert stronger(Assurance.in_person, Assurance.phone_match) == Assurance.in_person
    assert stronger(Assurance.invite_code, Assurance.in_person) == Assurance.in_person


@given(st.sampled_from(list(Assurance)), st.sampled_from(list(Assurance)), st.sampled_from(list(Assurance)))
def test_a_further_check_never_lowers_assurance(held, new, required):
    after = stronger(held, new)
    assert RANK[after] == max(RANK[held], RANK[new])
    assert sufficient(after, required) >= sufficient(held, required)
