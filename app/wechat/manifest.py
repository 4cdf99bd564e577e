"""What the WeChat client adds to the application: its error codes (passed on by the routes that call
WeChat). It has no routes of its own; the offline fake is mounted by ``app.main`` outside production."""

from app.core.manifest import Manifest
from app.wechat import errors

MANIFEST = Manifest(name="wechat", errors=errors)
