"""Lifecycle reactions: what other domains register to happen when a project enters a state."""

import pytest

from app.core.errors import CONFLICT
from app.projects import lifecycle
from app.projects.lifecycle import OnEnter, ReactionRegistry
from app.projects.models import ProjectEvent, ProjectStatus
from tests import factories as f
from tests.worlds import World

API = "/api/v1"


def test_for_edge_filters_by_state_and_origin():
    registry = ReactionRegistry()

    async def noop(session, entered):
        return None

    any_way = registry.register(OnEnter("any", "designing", None, noop))
    from_rejected = registry.register(OnEnter("again", "designing", "rejected", noop))
    assert registry.for_edge("surveying", "designing") == [any_way]
    assert registry.for_edge("rejected", "designing") == [any_way, from_rejected]
    assert registry.for_edge("designing", "publicizing") == []


@pytest.mark.parametrize("reaction, message", [
    (OnEnter("bad", "nowhere", None, None), "unknown state"),
    (OnEnter("bad", "voting", "surveying", None), "no edge"),
])
def test_registration_refuses_what_cannot_fire(reaction, message):
    with pytest.raises(ValueError, match=message):
        ReactionRegistry().register(reaction)


def test_a_name_registered_twice_is_refused():
    registry = ReactionRegistry()
    registry.register(OnEnter("notify", "voting", None, None))
    with pytest.raises(ValueError, match="already registered"):
        registry.register(OnEnter("notify", "approved", None, None))


@pytest.fixture
def reacting():
    """Register reactions for one test only."""
    names = []

    def register(name, state, fn, **kw):
        names.append(name)
        return lifecycle.reactions.register(lifecycle.on_enter(name, state, fn, **kw))

    yield register
    for name in names:
        lifecycle.reactions.unregister(name)


async def test_a_reaction_runs_in_the_transition_transaction(client, db, world: World, reacting):
    seen = []

    async def on_designing(session, entered):
        seen.append(entered)
        # What the reaction writes commits with the transition.
        session.add(ProjectEvent(project_id=entered.project.id, kind="test_reaction", actor_id=entered.actor_id))
        await session.flush()

    reacting("test.on_designing", ProjectStatus.designing, on_designing)
    admin = await world.user_for(db, "admin")
    r = await client.post(f"{API}/projects/{world.a.project_id}/transitions", json={"to": "designing"},
                          headers=await f.headers(db, admin))
    assert r.status_code == 200, r.text
    [entered] = seen
    assert (entered.from_state, entered.to_state, entered.actor_id) == ("surveying", "designing", admin.id)
    assert entered.project.id == world.a.project_id and entered.project.status == ProjectStatus.designing
    timeline = (await client.get(f"{API}/projects/{world.a.project_id}/timeline",
                                 headers=await world.headers_for(db, "admin"))).json()["items"]
    assert {"transition", "test_reaction"} <= {e["kind"] for e in timeline}


async def test_a_failing_reaction_undoes_the_transition(client, db, world: World, reacting):
    async def refuse(session, entered):
        raise CONFLICT(details={"why": "the reacting domain refused"})

    reacting("test.refuse", ProjectStatus.designing, refuse)
    headers = await world.headers_for(db, "admin")
    r = await client.post(f"{API}/projects/{world.a.project_id}/transitions", json={"to": "designing"}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["details"] == {"why": "the reacting domain refused"}
    project = (await client.get(f"{API}/projects/{world.a.project_id}", headers=headers)).json()
    assert project["status"] == "surveying"
    timeline = (await client.get(f"{API}/projects/{world.a.project_id}/timeline", headers=headers)).json()["items"]
    assert "transition" not in {e["kind"] for e in timeline}


async def test_reactions_of_other_states_do_not_run(client, db, world: World, reacting):
    ran = []

    async def on_voting(session, entered):
        ran.append(entered)

    reacting("test.on_voting", ProjectStatus.voting, on_voting)
    r = await client.post(f"{API}/projects/{world.a.project_id}/transitions", json={"to": "designing"},
                          headers=await world.headers_for(db, "admin"))
    assert r.status_code == 200 and ran == []
