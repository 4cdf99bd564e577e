"""Request and response models of the notification routes."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.notifications.templates import FieldType, TemplateKey


class InboxMessagePublic(BaseModel):
    id: uuid.UUID
    title: str
    body: str
    page: str | None = Field(description="mini-program page to open")
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    items: list[InboxMessagePublic]
    next_cursor: str | None = None
    unread: int = Field(description="unread messages in the whole inbox")


class SubscriptionsCreate(BaseModel):
    templates: list[TemplateKey] = Field(
        min_length=1, max_length=20, description="template keys the user accepted in requestSubscribeMessage"
    )


class SubscriptionPublic(BaseModel):
    template: TemplateKey
    credits: int = Field(description="subscribe messages of this template that may still be sent")


class TemplateFieldPublic(BaseModel):
    key: str = Field(description="WeChat's data key (thing1, time2...)")
    type: FieldType
    label: str = Field(description="what the field shows, as set up in the WeChat console")


class NotificationTemplatePublic(BaseModel):
    key: TemplateKey
    title: str = Field(description="the template's title in the WeChat console")
    purpose: str = Field(description="when it is sent, and to whom")
    wechat_template_id: str | None = Field(description="the id to pass to wx.requestSubscribeMessage "
                                                       "(APP_WECHAT_TEMPLATES); null: not set up, in-app only")
    fields: list[TemplateFieldPublic]
