"""Error codes of identity and access: tokens, logins, phones, roles and accounts."""

from app.core.errors import define

TOKEN_INVALID = define("token_invalid", 401, "登录凭证无效或已过期，请重新登录", "The token is invalid or expired")
TOKEN_EXPIRED = define("token_expired", 401, "登录凭证已过期，请刷新后重试", "The access token has expired; refresh it")
REFRESH_TOKEN_INVALID = define("refresh_token_invalid", 401, "刷新凭证无效或已过期，请重新登录",
                               "The refresh token is invalid or expired")
REFRESH_TOKEN_REUSED = define("refresh_token_reused", 401, "刷新凭证已被使用，出于安全考虑已退出所有相关登录",
                              "The refresh token was already used; its session has been revoked")
INVALID_CREDENTIALS = define("invalid_credentials", 401, "手机号或密码错误", "Wrong phone number or password")
ACCOUNT_LOCKED = define("account_locked", 429, "登录失败次数过多，请稍后再试", "Too many failed logins; try again later")
LOGIN_THROTTLED = define("login_throttled", 429, "该网络登录失败次数过多，请稍后再试",
                         "Too many failed logins from this address; try again later")
ACCOUNT_DISABLED = define("account_disabled", 403, "账号已停用", "The account is disabled")
WECHAT_NOT_LOGGED_IN = define("wechat_not_logged_in", 403, "请先通过微信登录", "Log in with WeChat first")
PHONE_IN_USE = define("phone_in_use", 409, "该手机号已绑定其他账号", "This phone number belongs to another account")
PHONE_IN_USE_STAFF = define("phone_in_use_staff", 409, "该手机号已被工作人员账号使用",
                            "This phone number is used by a staff account")
PHONE_UNSUPPORTED = define("phone_unsupported", 400, "仅支持中国大陆手机号",
                           "Only mainland China mobile numbers are supported")

# roles and users
ACCOUNT_SELF_CHANGE = define("account_self_change", 403, "不能停用、启用或重置自己的账号",
                             "You cannot disable, enable or reset your own account")
ACCOUNT_NOT_STAFF = define("account_not_staff", 409, "该账号不是工作人员账号，不能重置密码",
                           "This is not a staff account; it has no password to reset")
ROLE_NOT_ASSIGNABLE = define("role_not_assignable", 403, "无权分配该角色或范围", "You may not assign this role or scope")
ROLE_SCOPE_INVALID = define("role_scope_invalid", 422, "角色范围无效", "The role scope is invalid")
ROLE_SELF_ASSIGNMENT = define("role_self_assignment", 403, "不能给自己分配角色，请由其他工作人员分配",
                              "You cannot assign a role to yourself; another staff member must")
ROLE_EXISTS = define("role_exists", 409, "该用户已有此角色", "The user already holds this role")
ROLE_NOT_FOUND = define("role_not_found", 404, "角色分配不存在", "Role assignment not found")
