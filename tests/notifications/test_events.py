"""Domain events that notify: one outbox row per person concerned, found through the read APIs."""

import pytest
from sqlmodel import select

from app.auth.residence import BindingRelation
from app.notifications.events import Notice, notify
from app.notifications.models import NotificationOutbox
from app.registry import reads as registry
from app.residency import reads as residency
from tests import factories as f


def _notice(**kw) -> Notice:
    return Notice(**{"template": "plan_published", "title": "改造方案公示", "body": "电力小区改造方案已公示",
                     "data": {"thing1": "电力小区综合改造", "thing2": "方案第2版"}, "page": "pages/plan", **kw})


def test_an_unknown_template_or_field_fails_where_the_notice_is_made():
    with pytest.raises(ValueError, match="unknown notification template"):
        _notice(template="no_such_template")
    with pytest.raises(ValueError, match="not in template"):
        _notice(data={"thing9": "x"})


async def test_notify_queues_one_row_per_person_once(db):
    a, b = await f.user(db), await f.user(db)
    assert await notify(db, _notice(), [b.id, a.id, b.id]) == 2
    rows = (await db.exec(select(NotificationOutbox).where(NotificationOutbox.user_id.in_([a.id, b.id])))).all()
    assert sorted(r.user_id for r in rows) == sorted([a.id, b.id])
    assert {(r.template, r.title, r.page) for r in rows} == {("plan_published", "改造方案公示", "pages/plan")}
    assert rows[0].data == {"thing1": "电力小区综合改造", "thing2": "方案第2版"}
    assert await notify(db, _notice(), []) == 0


async def test_residents_of_an_estate_are_the_approved_active_bindings(db):
    t = await f.tree(db)
    other = await f.tree(db)
    owner, tenant, disabled, elsewhere = (await f.user(db), await f.user(db), await f.user(db, is_active=False),
                                          await f.user(db))
    await f.bind(db, owner, t.unit)
    await f.bind(db, tenant, t.unit, relation=BindingRelation.tenant)
    await f.bind(db, disabled, t.unit)
    await f.bind(db, elsewhere, other.unit)
    pending = await f.user(db)
    from app.residency.models import BindingMethod, BindingStatus, UnitBinding

    db.add(UnitBinding(user_id=pending.id, unit_id=t.unit.id, relation=BindingRelation.owner,
                       status=BindingStatus.pending, method=BindingMethod.request))
    await db.flush()
    units = [u.id for u in await registry.units(db, t.estate.id)]
    assert await residency.residents(db, units) == sorted([owner.id, tenant.id])
    assert await residency.residents(db, units, relations=[BindingRelation.owner]) == [owner.id]
    # Everyone living in the estate is told, through the outbox.
    assert await notify(db, _notice(), await residency.residents(db, units)) == 2
