"""Notifications routes (API.md): the caller's inbox and the templates they subscribed to."""

import uuid

from fastapi import APIRouter

from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import responses
from app.core.pagination import PageDep, bounded
from app.notifications import service, templates
from app.notifications.schemas import (
    InboxMessagePublic,
    InboxPage,
    NotificationTemplatePublic,
    SubscriptionPublic,
    SubscriptionsCreate,
    TemplateFieldPublic,
)

router = APIRouter(tags=["notifications"])


def _public(message) -> InboxMessagePublic:
    return InboxMessagePublic.model_validate(message, from_attributes=True)


@router.get("/me/notifications", response_model=InboxPage, responses=responses(400, *AUTHENTICATED, 403))
async def list_my_notifications(principal: CurrentPrincipal, session: SessionDep, page: PageDep) -> InboxPage:
    """The caller's in-app messages, newest first, with the unread count."""
    items, cursor, unread = await service.inbox(session, principal, page)
    return InboxPage(items=[_public(m) for m in items], next_cursor=cursor, unread=unread)


@router.post("/me/notifications/{message_id}/read", response_model=InboxMessagePublic,
             responses=responses(*AUTHENTICATED, 403, 404))
async def mark_my_notification_read(
    message_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> InboxMessagePublic:
    return _public(await service.mark_read(session, principal, message_id))


@router.get("/notification-templates", response_model=bounded(NotificationTemplatePublic, "one per template", len(templates.TEMPLATES)), responses=responses())
async def list_notification_templates() -> list[NotificationTemplatePublic]:
    """Every notification the service sends as a WeChat subscribe message: its key, its WeChat template id
    on this deployment (what the mini-program passes to ``wx.requestSubscribeMessage`` before sending the
    accepted keys to ``POST /me/subscriptions``), what it is for and its fields. Bounded: one entry per
    template."""
    ids = get_settings().wechat_templates
    return [NotificationTemplatePublic(key=templates.TemplateKey(t.key), title=t.title, purpose=t.purpose,
                                       wechat_template_id=ids.get(t.key),
                                       fields=[TemplateFieldPublic(key=f.key, type=f.type, label=f.label)
                                               for f in t.fields])
            for t in templates.TEMPLATES.values()]


@router.post("/me/subscriptions", response_model=bounded(SubscriptionPublic, "one per template sent", 20),
             responses=responses(*AUTHENTICATED, 403, 422))
async def add_my_subscriptions(
    body: SubscriptionsCreate, principal: CurrentPrincipal, session: SessionDep
) -> list[SubscriptionPublic]:
    """Template keys the user accepted in the mini-program (``wx.requestSubscribeMessage``): each adds one
    message of that template that may be sent to them."""
    subs = await service.subscribe(session, principal, body.templates)
    return [SubscriptionPublic(template=s.template, credits=s.credits) for s in subs]
