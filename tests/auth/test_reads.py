"""Auth's read API as other domains see it: who did something, by name and the role they act in."""

import uuid

from app.auth import reads
from app.auth.roles import Role
from tests import factories as f
from tests.explain import statements


async def test_actors_are_named_with_their_highest_role_in_one_query(db, tree):
    """Admin first, resident last: a role held outranks a home, the highest of several roles counts, a
    binding alone makes a resident, and an account with neither acts in no role. Unknown ids are left out."""
    admin = await f.user(db, (Role.grid_worker, tree.grid.id), (Role.admin, None))
    worker = await f.user(db, (Role.grid_worker, tree.grid.id))
    await f.bind(db, worker, tree.unit)
    resident = await f.user(db)
    await f.bind(db, resident, tree.unit)
    nobody = await f.user(db, display_name="新账号")
    with statements(db) as seen:
        found = await reads.actors(db, [admin.id, worker.id, resident.id, nobody.id, None, uuid.uuid4(), admin.id])
    assert {i: a.role for i, a in found.items()} == {
        admin.id: Role.admin, worker.id: Role.grid_worker, resident.id: Role.resident, nobody.id: None}
    assert found[nobody.id].display_name == "新账号"
    assert len(seen) == 1
    assert await reads.actors(db, [None]) == {}
