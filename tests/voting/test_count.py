"""The count that decides a ballot is the rule's: for randomly generated electorates and votes, the result
stored at the close equals ``rules.decide`` over ``rules.tally`` of the ballot's electorate and its stored
votes - every figure, every ratio, the outcome."""

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from app.auth.residence import BindingRelation
from app.core import clock
from app.registry.areas import format_area
from app.registry.models import OccupantRelation
from app.voting import rules
from app.voting.models import BallotCast, BallotChoice, BallotResult, BallotVoter
from tests import factories as f
from tests.matrix import undone
from tests.voting.conftest import notice_served

API = "/api/v1"
PEOPLE = 6
units_strategy = st.lists(
    st.tuples(st.integers(min_value=1, max_value=30_000),  # area in 0.01 m²
              st.lists(st.integers(min_value=0, max_value=PEOPLE - 1), max_size=3, unique=True)),  # owners
    min_size=1, max_size=8)
rule_strategy = st.sampled_from([rules.Rule.civil_code_major, rules.Rule.civil_code_ordinary,
                                 rules.Rule.simple_majority])


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(units=units_strategy, rule=rule_strategy, data=st.data())
async def test_the_stored_result_is_the_rule_over_the_stored_votes(client, db, world, units, rule, data):
    async with undone(db):
        a = world.a
        entrance = await f.entrance(db, a.building.id, name="表决单元")
        people: dict[int, object] = {}
        owned: list[rules.OwnedUnit] = []
        unit_rows = {}
        for number, (area, owners) in enumerate(units):
            unit = await f.unit(db, entrance, a.estate_id, room_number=f"{number + 1:02d}", area_centi=area)
            unit_rows[unit.id] = unit
            for position, label in enumerate(owners):
                relation = OccupantRelation.owner if position == 0 else OccupantRelation.co_owner
                if label in people:
                    await f.holding(db, unit, people[label], relation)
                else:
                    people[label] = await f.owner(db, unit, name=f"业主{label}", phone=None, relation=relation)
            owned.append(rules.OwnedUnit(unit.id, area, frozenset(str(people[o].id) for o in owners)))
        electorate = rules.electorate(owned)
        # Each voter casts through an account bound as one of its owners, or stays away.
        casts = data.draw(st.lists(st.sampled_from(list(rules.Choice)) | st.none(),
                                   min_size=len(electorate), max_size=len(electorate)))
        staff = await world.headers_for(db, "community_staff:in")
        now = clock.now()
        r = await client.post(f"{API}/projects/{a.project_id}/ballots", headers=staff, json={
            "title": "加装电梯", "rule": rule.value, "scope": {"entrance_ids": [str(entrance.id)]},
            "motions": [{"title": "同意加装电梯"}], "opens_at": (now + timedelta(days=16)).isoformat(),
            "closes_at": (now + timedelta(days=23)).isoformat()})
        assert r.status_code == 201, r.text
        ballot = r.json()
        ballot_id = uuid.UUID(ballot["id"])
        assert (await client.post(f"{API}/ballots/{ballot['id']}/announce", headers=staff)).status_code == 200
        await notice_served(db, ballot_id)
        assert (await client.post(f"{API}/ballots/{ballot['id']}/open", headers=staff)).status_code == 200
        votes: dict[str, rules.Choice] = {}
        for voter, choice in zip(electorate, casts, strict=True):
            if choice is None:
                continue
            person = next(p for p in people.values() if str(p.id) == min(voter.owner_ids))
            account = await f.user(db)
            held = next(u.unit_id for u in owned if str(person.id) in u.owner_ids)
            await f.bind(db, account, unit_rows[held], BindingRelation.owner, person=person)
            r = await client.post(f"{API}/ballots/{ballot['id']}/votes", headers=await f.headers(db, account),
                                  json={"choices": [{"motion_id": ballot["motions"][0]["id"], "choice": choice}]})
            assert r.status_code == 201, r.text
            votes[voter.key] = choice
        assert (await client.post(f"{API}/ballots/{ballot['id']}/close", headers=staff)).status_code == 200

        # The stored votes, read back from the database: voter key -> choice.
        stored_votes = dict((await db.exec(
            select(BallotVoter.key, BallotChoice.choice)
            .join(BallotCast, BallotCast.voter_id == BallotVoter.id)
            .join(BallotChoice, BallotChoice.cast_id == BallotCast.id)
            .where(BallotVoter.ballot_id == ballot_id, BallotCast.is_current.is_(True)))).all())
        assert stored_votes == votes
        decision = rules.decide(rule, rules.tally(electorate, {k: rules.Choice(c) for k, c in stored_votes.items()}))
        stored = (await db.get(BallotResult, ballot_id)).content["motions"][0]
        t = decision.tally
        for name, count in (("total", t.total), ("participating", t.participating), ("approve", t.approve),
                            ("oppose", t.oppose), ("abstain", t.abstain)):
            assert stored[name]["headcount"] == count.headcount, name
            assert stored[name]["area"] == format_area(count.area_centi), name
        assert {n: (r["numerator"], r["denominator"]) for n, r in stored["ratios"].items()} == {
            n: (r.part, r.whole) for n, r in decision.ratios.items()}
        assert (stored["quorum_met"], stored["outcome"]) == (decision.quorum_met, decision.outcome.value)
