"""Domain events that notify: the one way any domain says "this happened to these people".

A domain describes what happened as a ``Notice`` (the subscribe-message template and its fields, the
in-app title and text, the mini-program page to open) and calls ``notify`` with the accounts concerned.
Each gets an outbox row in the caller's transaction - so the notice exists exactly when the event does -
and the worker delivers it: the inbox always, a WeChat subscribe message when the user subscribed to
the template. Recipients are usually found through the read APIs (``app.residency.reads.residents`` of the
registry's units of an estate, the holders of a role, ...).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from app.notifications import templates
from app.notifications.models import NotificationOutbox
from app.notifications.service import outbox_row


@dataclass(frozen=True)
class Notice:
    """What the people concerned are told. ``data`` maps the template's WeChat field keys (``thing1``...)
    to values (datetimes are shown in Asia/Shanghai)."""

    template: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)
    page: str | None = None
    ref: str | None = None  # what it is about, when its delivery must be shown later (``reads.reached``)

    def __post_init__(self) -> None:
        templates.prepare(self.template, self.data)  # an unknown template or field fails where it is made


async def notify(session: AsyncSession, notice: Notice, user_ids: Iterable[uuid.UUID]) -> int:
    """Queue ``notice`` for each of ``user_ids`` (each once, in id order); how many were queued.

    One row is made the usual way and copied for every recipient in a single INSERT: a ballot opening
    tells ten thousand owners in well under a second."""
    recipients = sorted(set(user_ids))
    if not recipients:
        return 0
    row = outbox_row(user_id=recipients[0], template=notice.template, title=notice.title, body=notice.body,
                     page=notice.page, data=notice.data, ref=notice.ref).model_dump()
    conn = await session.connection()
    await conn.execute(insert(NotificationOutbox), [row | {"id": uuid.uuid4(), "user_id": u} for u in recipients])
    return len(recipients)
