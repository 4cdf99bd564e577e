"""The error shape of DESIGN.md §10 and the catalogue of stable error codes.

Every error a client sees is ``{"error": {"code", "message", "details"}}``; the message is Chinese by
default and English when the request says ``Accept-Language: en``. Domains raise ``AppError`` (or a
subclass) with a code from ``MESSAGES``; nothing else decides the wording.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

# code -> (zh-CN, en)
MESSAGES: dict[str, tuple[str, str]] = {
    # generic
    "validation_error": ("请求参数有误", "The request is invalid"),
    "not_found": ("资源不存在", "Not found"),
    "method_not_allowed": ("不支持该请求方法", "Method not allowed"),
    "internal_error": ("服务器内部错误，请稍后再试", "Internal server error"),
    "service_unavailable": ("服务暂不可用", "Service unavailable"),
    "forbidden": ("无权执行此操作", "You are not allowed to do this"),
    "conflict": ("数据冲突", "Conflict"),
    "invalid_cursor": ("分页游标无效", "Invalid pagination cursor"),
    "payload_too_large": ("上传文件过大", "The upload is too large"),
    "idempotency_key_invalid": ("Idempotency-Key 格式无效", "The Idempotency-Key header is malformed"),
    "idempotency_key_reused": (
        "该 Idempotency-Key 已用于内容不同的请求",
        "This Idempotency-Key was used for a different request",
    ),
    "idempotency_in_flight": ("相同请求正在处理中，请稍后重试", "The same request is still being processed"),
    # auth
    "not_authenticated": ("请先登录", "Authentication required"),
    "token_invalid": ("登录凭证无效或已过期，请重新登录", "The token is invalid or expired"),
    "refresh_token_invalid": ("刷新凭证无效或已过期，请重新登录", "The refresh token is invalid or expired"),
    "refresh_token_reused": (
        "刷新凭证已被使用，出于安全考虑已退出所有相关登录",
        "The refresh token was already used; its session has been revoked",
    ),
    "invalid_credentials": ("手机号或密码错误", "Wrong phone number or password"),
    "account_locked": ("登录失败次数过多，请稍后再试", "Too many failed logins; try again later"),
    "account_disabled": ("账号已停用", "The account is disabled"),
    "wechat_code_invalid": ("微信登录凭证无效或已过期，请重新进入小程序", "The WeChat code is invalid or expired"),
    "wechat_rate_limited": ("微信登录过于频繁，请稍后再试", "WeChat rate limit reached; try again later"),
    "wechat_user_blocked": ("微信判定该账号存在风险，暂无法登录", "WeChat refused this user as high-risk"),
    "wechat_busy": ("微信服务繁忙，请稍后再试", "WeChat is busy; try again later"),
    "wechat_unavailable": ("暂时无法连接微信服务，请稍后再试", "WeChat could not be reached"),
    "wechat_error": ("微信服务返回错误", "WeChat returned an error"),
    "wechat_not_logged_in": ("请先通过微信登录", "Log in with WeChat first"),
    "phone_in_use": ("该手机号已绑定其他账号", "This phone number belongs to another account"),
    "phone_in_use_staff": ("该手机号已被工作人员账号使用", "This phone number is used by a staff account"),
    "phone_unsupported": ("仅支持中国大陆手机号", "Only mainland China mobile numbers are supported"),
    # roles and users
    "role_not_assignable": ("无权分配该角色或范围", "You may not assign this role or scope"),
    "role_scope_invalid": ("角色范围无效", "The role scope is invalid"),
    "role_exists": ("该用户已有此角色", "The user already holds this role"),
    "role_not_found": ("角色分配不存在", "Role assignment not found"),
    # unit bindings
    "binding_exists": ("已提交过该房屋的绑定申请", "You already asked to bind this unit"),
    "binding_already_decided": ("该绑定申请已处理", "This binding request was already decided"),
    "invite_code_invalid": ("邀请码无效或已过期", "The invitation code is invalid or expired"),
    "binding_target_required": ("请提供房屋或邀请码", "Give a unit or an invitation code"),
    "binding_self_decision": ("不能审批自己的绑定申请", "You cannot decide your own binding request"),
    "invite_code_unavailable": ("暂时无法生成邀请码，请稍后再试", "No invitation code could be generated; try again"),
    # registry
    "duplicate_name": ("同名记录已存在", "A record with this name already exists"),
    "grid_building_outside": ("楼栋不属于该网格所在社区", "The building is outside the grid's community"),
    "import_file_invalid": ("无法读取台账文件", "The ledger file cannot be read"),
    "import_header_missing": ("台账缺少必需的列", "The ledger lacks required columns"),
    "unit_exists": ("该房屋已存在", "This unit already exists"),
    "entrance_outside_building": ("该单元不属于此楼栋", "The entrance is not in this building"),
    # projects
    "transition_not_allowed": ("项目当前不能进入该阶段", "The project cannot move to this stage now"),
    "project_items_locked": (
        "项目已进入公示或之后的阶段，改造内容不能再修改",
        "The renovation items can no longer be changed at this stage",
    ),
    "project_item_has_progress": ("已有进度记录的改造内容不能移除", "An item with recorded progress cannot be removed"),
    "renovation_item_unknown": ("改造内容不在改造菜单中", "Unknown renovation menu item"),
    "renovation_item_duplicate": ("同一改造内容重复选择", "A renovation item is listed twice"),
    "project_not_constructing": ("项目不在施工阶段，不能更新进度", "Progress can only be reported during construction"),
    "organization_unknown": ("单位不存在", "The organisation does not exist"),
    "organization_already_linked": ("该单位已以此身份参与项目", "The organisation already has this role in the project"),
    "contractor_required": (
        "项目开工后必须保留施工单位：请先关联新的施工单位，再移除原单位",
        "Once construction has started the project must keep a contractor: link the new one first",
    ),
    # files
    "file_too_large": ("文件过大，超过上传大小限制", "The file exceeds the upload size limit"),
    "file_type_not_allowed": ("仅支持上传 JPEG、PNG、WebP 图片或 PDF 文件", "Only JPEG, PNG, WebP images and PDF files are accepted"),
    "file_not_usable": ("文件不存在或不是您上传的", "The files do not exist or were not uploaded by you"),
    # notifications
    "template_unknown": ("订阅消息模板不存在", "Unknown notification template"),
}


class AppError(Exception):
    """An error with a stable machine code; ``status`` is the HTTP status it answers with."""

    def __init__(self, code: str, status: int = 400, details: Any = None, headers: dict | None = None):
        if code not in MESSAGES:
            raise KeyError(f"unknown error code {code!r}")
        super().__init__(code)
        self.code = code
        self.status = status
        self.details = details
        self.headers = headers


class NotFound(AppError):
    def __init__(self, details: Any = None):
        super().__init__("not_found", 404, details)


class Forbidden(AppError):
    def __init__(self, code: str = "forbidden", details: Any = None):
        super().__init__(code, 403, details)


class Conflict(AppError):
    def __init__(self, code: str = "conflict", details: Any = None):
        super().__init__(code, 409, details)


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The JSON shape of every error."""

    error: ErrorBody


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entry documenting the error shape for the given statuses."""
    return {status: {"model": ErrorResponse} for status in statuses}


def wants_english(request: Request) -> bool:
    return accept_language_is_english(request.headers.get("accept-language", ""))


def accept_language_is_english(header: str) -> bool:
    return header.strip().lower().startswith("en")


def error_body(code: str, english: bool, details: Any = None) -> dict[str, Any]:
    zh, en = MESSAGES.get(code, MESSAGES["internal_error"])
    return {"error": {"code": code, "message": en if english else zh, "details": details}}


def error_json(request: Request, code: str, status: int, details: Any = None, headers=None) -> JSONResponse:
    return JSONResponse(error_body(code, wants_english(request), details), status_code=status, headers=headers)


_HTTP_CODES = {
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    503: "service_unavailable",
}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "type": err.get("type"), "msg": err.get("msg")}
        for err in exc.errors()
    ]


def _is_refused_value(exc: DBAPIError) -> bool:
    """Values the database cannot store (NUL in text on PostgreSQL, numbers out of range): client errors."""
    cause = getattr(exc.orig, "__cause__", None) or exc.orig
    return type(cause).__name__ in {"CharacterNotInRepertoireError", "UntranslatableCharacterError",
                                    "NumericValueOutOfRangeError", "DataError"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError):
        return error_json(request, exc.code, exc.status, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return error_json(request, "validation_error", 422, _validation_details(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, "validation_error" if exc.status_code < 500 else "internal_error")
        return error_json(request, code, exc.status_code, None, getattr(exc, "headers", None))
    # Safety nets for races the services' own checks cannot see: two concurrent creates of one unique
    # name (IntegrityError), or a value the database refuses such as a NUL character (DataError).
    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError):
        return error_json(request, "conflict", 409)

    @app.exception_handler(DBAPIError)
    async def _refused_value(request: Request, exc: DBAPIError):
        if _is_refused_value(exc):
            return error_json(request, "validation_error", 422)
        raise exc  # a real fault: the request middleware answers 500

    # Unexpected exceptions are turned into a bare 500 by RequestContextMiddleware (app.core.observability),
    # which sits outside these handlers and so can still attach the request id.
