"""The demo seed loads the fixture estate and one account per role, and can run again without change."""

from sqlmodel import func, select

from app.auth.models import RoleAssignment, User
from app.demo import STAFF, _seed
from app.registry.models import Building, PropertyUnit


async def _counts(db):
    return [
        (await db.exec(select(func.count()).select_from(model))).one()
        for model in (User, RoleAssignment, Building, PropertyUnit)
    ]


async def test_seed_is_idempotent(db):
    first = await _seed(db)
    assert first["ledger"] == {"created": 84, "updated": 0, "unchanged": 0, "errors": 0}
    counts = await _counts(db)
    second = await _seed(db)
    assert second["ledger"] == {"created": 0, "updated": 0, "unchanged": 84, "errors": 0}
    assert await _counts(db) == counts


async def test_seed_creates_one_login_per_role(db):
    await _seed(db)
    phones = [phone for phone, *_ in STAFF]
    users = (await db.exec(select(User).where(User.phone.in_(phones)))).all()
    assert len(users) == len(STAFF) and all(u.password_hash for u in users)
