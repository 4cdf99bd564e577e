"""The acceptance rules as pure functions: who must sign, the content hash, what signatures decide."""

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.acceptance import rules
from app.acceptance.rules import Decision, ItemDecision, RoleProblem, SignatoryRole, Status

R = SignatoryRole


@pytest.mark.parametrize(("requested", "committee", "supervision", "reps", "expected"), [
    (None, True, True, 0, [R.street, R.community, R.contractor, R.supervision, R.committee]),
    (None, True, False, 0, [R.street, R.community, R.contractor, R.committee]),
    (None, False, False, 2, [R.street, R.community, R.contractor, R.resident_rep]),
    (None, True, False, 1, [R.street, R.community, R.contractor, R.committee, R.resident_rep]),  # both sign
    (None, False, False, 0, RoleProblem.representatives_required),
    ([R.street, R.community, R.contractor], True, False, 0, RoleProblem.committee_required),
    ([R.street, R.community, R.contractor, R.committee], False, False, 0, RoleProblem.no_committee),
    ([R.street, R.contractor, R.committee], True, False, 0, RoleProblem.mandatory_missing),
    ([R.street, R.community, R.contractor, R.committee, R.supervision], True, False, 0,
     RoleProblem.no_supervision_company),
    ([R.street, R.community, R.contractor, R.committee], True, True, 0,
     RoleProblem.supervision_required),  # a project never leaves its supervision company out
    ([R.street, R.community, R.contractor, R.committee, R.resident_rep], True, False, 0,
     RoleProblem.representatives_required),  # representatives asked for, none named
    ([R.street, R.community, R.contractor, R.committee], True, False, 2,
     RoleProblem.representatives_required),  # named, but not asked to sign
])
def test_required_roles(requested, committee, supervision, reps, expected):
    assert rules.required_roles(requested, has_committee=committee, has_supervision=supervision,
                                representatives=reps) == expected


@given(st.sets(st.sampled_from(list(SignatoryRole))), st.booleans())
def test_a_linked_supervision_company_is_always_required(roles, linked):
    needed = rules.required_now(roles, linked)
    assert set(needed) == set(roles) | ({R.supervision} if linked else set())
    assert needed == [r for r in SignatoryRole if r in needed]  # in the roles' own order


roles = st.sampled_from(list(SignatoryRole))
signature_lists = st.lists(st.tuples(roles, st.sampled_from(list(Decision))), max_size=8)


@given(st.sets(roles, min_size=1), signature_lists, st.randoms())
def test_one_rejection_rejects_and_every_required_approval_passes(required, signatures, rnd):
    decided = rules.outcome(required, signatures)
    if any(d == Decision.reject for _, d in signatures):
        assert decided == Status.rejected
    elif required <= {r for r, _ in signatures}:
        assert decided == Status.passed
    else:
        assert decided == Status.open
    shuffled = list(signatures)
    rnd.shuffle(shuffled)
    assert rules.outcome(required, shuffled) == decided  # the order of signing does not matter


def test_approvals_of_roles_not_required_do_not_pass_it():
    assert rules.outcome([R.street, R.committee], [(R.street, Decision.approve), (R.contractor, Decision.approve)]) \
        == Status.open


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2 ** 53) + 1, 2 ** 53 - 1) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_the_hash_depends_on_the_content_not_on_how_it_was_written(content):
    reordered = dict(reversed(list(content.items())))
    assert rules.content_hash(reordered) == rules.content_hash(content)
    # Canonical JSON is JSON: it reads back to the same content.
    assert json.loads(rules.canonical(content)) == content
    assert rules.content_hash(content) == hashlib.sha256(rules.canonical(content)).hexdigest()


@given(st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=6), st.text(min_size=1, max_size=10))
def test_any_change_of_the_content_changes_the_hash(content, extra):
    changed = {**content, "remarks": extra} if content.get("remarks") != extra else {**content, "remarks": extra + "。"}
    assert rules.content_hash(changed) != rules.content_hash(content)


def test_canonical_form_is_rfc8785():
    # Keys sorted by UTF-16 code units, no whitespace, non-ASCII kept as is.
    assert rules.canonical({"b": 1, "a": "合格", "c": [True, None]}) == '{"a":"合格","b":1,"c":[true,null]}'.encode()


def test_a_checklist_is_complete_when_no_item_is_pending():
    assert rules.checklist_complete([ItemDecision.accepted, ItemDecision.not_accepted])
    assert not rules.checklist_complete([ItemDecision.accepted, ItemDecision.pending])
