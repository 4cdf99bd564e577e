"""WeChat's tables: the cache of the server access token."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import dt_field


class WechatAccessToken(SQLModel, table=True):
    """Cache of WeChat's server access token, shared by every API process."""

    __tablename__ = "wechat_access_token"
    app_id: str = Field(primary_key=True, max_length=64)
    access_token: str = Field(max_length=512)
    expires_at: datetime = dt_field(nullable=False)
