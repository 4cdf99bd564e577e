"""The error shape of docs/api.md and the catalogue of stable error codes.

Every error a client sees is ``{"error": {"code", "message", "details"}}``; the message is Chinese by
default and English when the request says ``Accept-Language: en`` (``app.core.i18n``). Core defines the generic codes; each
domain defines its own in its ``errors.py`` (``define``), into the one ``CATALOGUE``, and raises them
(``raise SOME_CODE(details=...)``). Routes list the codes they can answer in ``responses(...)``.
"""

import errno
import json
import socket
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.i18n import accept_language_is_english, validation_message
from app.core.jsontypes import Json
from app.core.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class ErrorCode:
    """A stable machine code with the HTTP status it answers with and its zh-CN and English messages.

    Calling one makes the exception to raise: ``raise TRANSITION_NOT_ALLOWED(details={...})``. A message
    may name fields of the details (``"公示期已于{ends}结束"``): they are filled in when it is answered.
    """

    code: str
    status: int
    zh: str
    en: str

    def __call__(self, details: Any = None, headers: dict | None = None) -> "AppError":
        return AppError(self.code, self.status, details, headers)

    def message(self, english: bool) -> str:
        return self.en if english else self.zh


# The one catalogue: code -> ErrorCode. Core registers the generic codes below; each domain registers its
# own from its ``errors.py`` with ``define``.
CATALOGUE: dict[str, ErrorCode] = {}


def define(code: str, status: int, zh: str, en: str) -> ErrorCode:
    """Register a code in the catalogue; a code registered twice is a programming error (ValueError)."""
    if code in CATALOGUE:
        raise ValueError(f"error code {code!r} is already registered")
    if not (400 <= status <= 599) or not zh or not en:
        raise ValueError(f"error code {code!r} needs a 4xx/5xx status and both messages")
    CATALOGUE[code] = error_code = ErrorCode(code, status, zh, en)
    return error_code


VALIDATION_ERROR = define("validation_error", 422, "请求参数有误", "The request is invalid")
NOT_FOUND = define("not_found", 404, "资源不存在", "Not found")
METHOD_NOT_ALLOWED = define("method_not_allowed", 405, "不支持该请求方法", "Method not allowed")
INTERNAL_ERROR = define("internal_error", 500, "服务器内部错误，请稍后再试", "Internal server error")
SERVICE_UNAVAILABLE = define("service_unavailable", 503, "服务暂不可用", "Service unavailable")
NOT_AUTHENTICATED = define("not_authenticated", 401, "请先登录", "Authentication required")
FORBIDDEN = define("forbidden", 403, "无权执行此操作", "You are not allowed to do this")
CONFLICT = define("conflict", 409, "数据冲突", "Conflict")
INVALID_CURSOR = define("invalid_cursor", 400, "分页游标无效", "Invalid pagination cursor")
PAYLOAD_TOO_LARGE = define("payload_too_large", 413, "请求内容过大", "The request body is too large")
IDEMPOTENCY_KEY_INVALID = define("idempotency_key_invalid", 422, "Idempotency-Key 格式无效",
                                 "The Idempotency-Key header is malformed")
IDEMPOTENCY_KEY_REUSED = define("idempotency_key_reused", 422, "该 Idempotency-Key 已用于内容不同的请求",
                                "This Idempotency-Key was used for a different request")
IDEMPOTENCY_IN_FLIGHT = define("idempotency_in_flight", 409, "相同请求正在处理中，请稍后重试",
                               "The same request is still being processed")


class AppError(Exception):
    """An error with a stable machine code; ``status`` is the HTTP status it answers with (by default the
    code's own)."""

    def __init__(self, code: str, status: int | None = None, details: Any = None, headers: dict | None = None):
        if code not in CATALOGUE:
            raise KeyError(f"unknown error code {code!r}")
        super().__init__(code)
        self.code = code
        self.status = CATALOGUE[code].status if status is None else status
        self.details = details
        self.headers = headers


class NotFound(AppError):
    def __init__(self, details: Any = None):
        super().__init__("not_found", 404, details)


class Forbidden(AppError):
    def __init__(self, details: Any = None):
        super().__init__("forbidden", 403, details)


class ErrorBody(BaseModel):
    code: str = Field(description="stable: switch on it")
    message: str = Field(description="for people: Chinese, or English with Accept-Language: en")
    details: Json = Field(default=None, description="what the code's message refers to; may be null")


class ErrorResponse(BaseModel):
    """The JSON shape of every error."""

    error: ErrorBody


# The code a status alone stands for, where a route names no code of that status (``responses(404)``).
STATUS_CODES: dict[int, ErrorCode] = {400: INVALID_CURSOR, 401: NOT_AUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
                                      405: METHOD_NOT_ALLOWED, 409: CONFLICT, 413: PAYLOAD_TOO_LARGE,
                                      422: VALIDATION_ERROR, 500: INTERNAL_ERROR, 503: SERVICE_UNAVAILABLE}
ERROR_CODES_KEY = "x-error-codes"  # carried from ``responses`` to ``typed_errors``, then dropped


def responses(*items: int | ErrorCode) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entry documenting the error shape for the given statuses and error codes.

    A status alone stands for its generic code (``STATUS_CODES``); an ``ErrorCode`` adds its status and its
    code. A 422 can always be ``validation_error`` too. The description names each code with its messages,
    and ``typed_errors`` makes the codes the enum of the response's ``code``, so that a client switches on
    them by type.
    """
    codes: dict[int, set[ErrorCode]] = {}
    for item in items:
        if isinstance(item, ErrorCode):
            codes.setdefault(item.status, set()).add(item)
        else:
            codes.setdefault(item, set())
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(codes):
        named = codes[status] or ({STATUS_CODES[status]} if status in STATUS_CODES else set())
        if status == 422:
            named = named | {VALIDATION_ERROR}
        listed = sorted(named, key=lambda c: c.code)
        lines = [f"- `{c.code}`: {c.en} ({c.zh})" for c in listed]
        out[status] = {"model": ErrorResponse, ERROR_CODES_KEY: [c.code for c in listed],
                       "description": f"{HTTPStatus(status).phrase}. Error codes:\n" + "\n".join(lines)}
    return out


def _error_schema(codes: list[str]) -> dict[str, Any]:
    return {"type": "object", "required": ["error"], "title": "ErrorResponse", "properties": {"error": {
        "type": "object", "required": ["code", "message", "details"], "title": "ErrorBody",
        "properties": {
            "code": {"type": "string", "enum": codes, "description": "stable: switch on it"},
            "message": {"type": "string", "description": "for people: Chinese, or English with Accept-Language: en"},
            "details": {"$ref": "#/components/schemas/Json",
                        "description": "what the code's message refers to (fields, limits, ids); may be null"},
        }}}}


def typed_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Every error response of the OpenAPI ``document`` in the project's shape with its codes as an enum:
    those ``responses`` named, and FastAPI's own 422 (``{detail}``, which this service never answers) as
    ``validation_error``. Changes ``document`` in place; returns it."""
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                codes = response.pop(ERROR_CODES_KEY, None)
                if codes is None and status == "422":
                    codes, response["description"] = [VALIDATION_ERROR.code], "Unprocessable Content. Error codes:\n" \
                        f"- `{VALIDATION_ERROR.code}`: {VALIDATION_ERROR.en} ({VALIDATION_ERROR.zh})"
                if codes is not None:
                    response["content"] = {"application/json": {"schema": _error_schema(codes)}}
    schemas = document.get("components", {}).get("schemas", {})
    for candidate in ("HTTPValidationError", "ValidationError", "ErrorResponse", "ErrorBody", "JsonValue"):
        if f'"#/components/schemas/{candidate}"' not in json.dumps(document):
            schemas.pop(candidate, None)
    return document


def wants_english(request: Request) -> bool:
    return accept_language_is_english(request.headers.get("accept-language", ""))


def error_body(code: str, english: bool, details: Any = None) -> dict[str, Any]:
    entry = CATALOGUE.get(code, INTERNAL_ERROR)
    message = entry.message(english)
    if isinstance(details, dict) and "{" in message:
        message = message.format_map(_Fields(details))
    return {"error": {"code": code, "message": message, "details": details}}


class _Fields(dict):
    """A message's ``{name}`` fields are filled from the error's details; a name not there stays as is."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


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


def validation_details(exc: Any, english: bool | None = None) -> list[dict[str, Any]]:
    """Each problem of a validation error (a request's or a pydantic ``ValidationError``) with its location,
    its type (stable, for programs) and a message in the request's language."""
    return [
        {"loc": list(err.get("loc", ())), "type": err.get("type"), "msg": validation_message(err, english)}
        for err in exc.errors()
    ]


# How long a client waits before retrying a request that met a busy database.
BUSY_RETRY_AFTER_SECONDS = 2


def _is_busy(exc: BaseException) -> bool:
    """The database could not take the request in time: SQLite's write lock still held after the busy
    timeout, a PostgreSQL lock or deadlock, or no pooled connection free. Retrying later will do."""
    if isinstance(exc, SQLAlchemyTimeoutError):  # the connection pool stayed empty
        return True
    cause = getattr(getattr(exc, "orig", None), "__cause__", None) or getattr(exc, "orig", None)
    return ("database is locked" in str(cause) or type(cause).__name__ in {
        "LockNotAvailableError", "DeadlockDetectedError", "TooManyConnectionsError", "QueryCanceledError"})


# How long a client waits before retrying when the database cannot be reached (a restart, a failover) or
# the request ran out of time.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5

# Network failures reaching the database (or any backend): refused, reset, unreachable, timed out.
_NETWORK_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE,
                             errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.ENETUNREACH, errno.ENETDOWN,
                             errno.ETIMEDOUT})
# PostgreSQL's SQLSTATEs for a server going away: class 08 (connection exception: asyncpg's
# ConnectionDoesNotExistError, ConnectionFailureError, ...) and the shutdowns of class 57 (AdminShutdownError
# "terminating connection due to administrator command", CrashShutdownError, CannotConnectNowError "the
# database system is shutting down" / "is starting up").
_SHUTDOWN_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
# asyncpg's InterfaceError once the server closed the connection under it.
_CLOSED_CONNECTION = ("connection is closed", "connection was closed", "underlying connection is closed")


def _causes(exc: BaseException):
    """The exception, then what it wraps: a DBAPIError's driver error, explicit causes (``raise ... from``)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 8 and all(current is not s for s in seen):
        seen.append(current)
        yield current
        wrapped = getattr(current, "orig", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__


def is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or went away mid-request: connection refused or reset, a connect
    or statement timeout, the server shutting down or starting up, the connection closed under us.
    Nothing is wrong with the request: retrying once the database is back will do (503).

    Found by stopping PostgreSQL under load (bench/fault.py): a connection checked out of the pool once
    the server is gone raises ``ConnectionRefusedError`` unwrapped (SQLAlchemy wraps only the driver's
    own errors); a statement running when it stops ``DBAPIError`` <- ``ConnectionDoesNotExistError`` <-
    ``AdminShutdownError``; the next statement or the commit of an open transaction ``InterfaceError``
    ("connection is closed", "cannot call Transaction.commit(): the underlying connection is closed");
    connecting during a shutdown ``DBAPIError`` <- ``CannotConnectNowError``."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    for cause in _causes(exc):
        if isinstance(cause, (ConnectionError, TimeoutError, socket.gaierror)):
            return True
        if isinstance(cause, OSError) and cause.errno in _NETWORK_ERRNOS:
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _SHUTDOWN_SQLSTATES):
            return True
        if type(cause).__name__ == "InterfaceError" and any(m in str(cause) for m in _CLOSED_CONNECTION):
            return True
    return False


def unavailable_headers() -> dict[str, str]:
    return {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)}


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
        return error_json(request, "validation_error", 422, validation_details(exc, wants_english(request)))

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
        if _is_busy(exc):
            return error_json(request, "service_unavailable", 503,
                              headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})
        if is_unavailable(exc):
            return _unavailable(request, exc)
        raise exc  # a real fault: the request middleware answers 500

    # The driver's network errors reach us unwrapped (a refused connect, a connect or statement timeout).
    @app.exception_handler(OSError)
    async def _unreachable(request: Request, exc: OSError):
        if is_unavailable(exc):
            return _unavailable(request, exc)
        raise exc  # a file the storage could not read, say: a real fault (500)

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _pool_exhausted(request: Request, exc: SQLAlchemyTimeoutError):
        return error_json(request, "service_unavailable", 503, headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})

    # Unexpected exceptions are turned into a bare 500 by RequestContextMiddleware (app.core.observability),
    # which sits outside these handlers and so can still attach the request id.


def _unavailable(request: Request, exc: BaseException) -> JSONResponse:
    log.warning("database unavailable", extra={"error": type(exc).__name__})
    return error_json(request, "service_unavailable", 503, {"reason": "database_unavailable"},
                      unavailable_headers())
