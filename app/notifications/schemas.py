"""Request and response models of the notification routes."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


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
    templates: list[str] = Field(
        min_length=1, max_length=20, description="template keys the user accepted in requestSubscribeMessage"
    )


class SubscriptionPublic(BaseModel):
    template: str
    credits: int = Field(description="subscribe messages of this template that may still be sent")
