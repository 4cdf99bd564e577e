"""Error codes for what WeChat's servers answer (or fail to)."""

from app.core.errors import define

WECHAT_CODE_INVALID = define("wechat_code_invalid", 400, "微信登录凭证无效或已过期，请重新进入小程序",
                             "The WeChat code is invalid or expired")
WECHAT_RATE_LIMITED = define("wechat_rate_limited", 429, "微信登录过于频繁，请稍后再试",
                             "WeChat rate limit reached; try again later")
WECHAT_USER_BLOCKED = define("wechat_user_blocked", 403, "微信判定该账号存在风险，暂无法登录",
                             "WeChat refused this user as high-risk")
WECHAT_BUSY = define("wechat_busy", 503, "微信服务繁忙，请稍后再试", "WeChat is busy; try again later")
WECHAT_UNAVAILABLE = define("wechat_unavailable", 503, "暂时无法连接微信服务，请稍后再试", "WeChat could not be reached")
WECHAT_ERROR = define("wechat_error", 502, "微信服务返回错误", "WeChat returned an error")

# Every code a call to WeChat can answer with, for the ``responses`` of routes that call it.
WECHAT_ERRORS = (WECHAT_CODE_INVALID, WECHAT_RATE_LIMITED, WECHAT_USER_BLOCKED, WECHAT_BUSY, WECHAT_UNAVAILABLE,
                 WECHAT_ERROR)
