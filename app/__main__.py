"""``python -m app``: serve, migrate, seed-demo, create-admin, worker, audit-verify, export-openapi."""

import argparse
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def migrate(revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(ROOT / "alembic.ini")), revision)


def openapi_document() -> dict:
    from app.main import create_app

    return create_app().openapi()


def export_openapi(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(openapi_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def settings_refusals() -> list[str]:
    """Why the settings (environment, ``.env``) are refused, one line each; empty when they load."""
    from pydantic import ValidationError

    from app.core.config import get_settings

    try:
        get_settings()
    except ValidationError as exc:
        reasons = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            field = ".".join(str(part) for part in error["loc"])
            reasons.append(f"APP_{field.upper()}: {message}" if field else message)
        return reasons
    return []


async def audit_verify(anchor: tuple[str, int, str] | None = None):
    from app.core import audit
    from app.core.db import dispose_engine, get_sessionmaker

    try:
        async with get_sessionmaker()() as session:
            return await audit.verify(session, anchor=anchor)
    finally:
        await dispose_engine()


def read_password() -> str | None:
    """The new account's password: typed twice at a terminal (never echoed), else the first line of standard
    input - never an argument, which other users of the server see in its process list and shell history."""
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("password (8 to 128 characters): ")
        if getpass.getpass("the same password again: ") != password:
            print("python -m app create-admin: the two passwords differ; nothing was created", file=sys.stderr)
            return None
        return password
    return sys.stdin.readline().rstrip("\r\n")


async def create_admin(name: str, phone: str, password: str) -> int:
    """Create an administrator account; 0 and its id on standard output, or 1 and why on standard error."""
    from pydantic import ValidationError

    from app.auth.schemas import UserCreate
    from app.auth.users import create_admin as create
    from app.core import audit
    from app.core.db import dispose_engine, get_sessionmaker
    from app.core.errors import CATALOGUE, AppError

    try:
        body = UserCreate(display_name=name, phone=phone, password=password)
    except ValidationError as exc:
        for error in exc.errors():
            print(f"python -m app create-admin: {error['loc'][0]}: {error['msg']}; nothing was created", file=sys.stderr)
        return 1
    try:
        async with get_sessionmaker()() as session, session.begin():
            user = await create(session, body)
    except AppError as exc:
        print(f"python -m app create-admin: {exc.code}: {CATALOGUE[exc.code].en}; nothing was created", file=sys.stderr)
        return 1
    finally:
        await audit.drain()  # its entries linked into the chain before the process ends
        await dispose_engine()
    print(json.dumps({"id": str(user.id), "display_name": user.display_name, "phone": user.phone, "role": "admin"},
                     ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--proxy-headers", action=argparse.BooleanOptionalAction, default=True,
                       help="take the client's address and scheme from X-Forwarded-For/-Proto (default: on)")
    serve.add_argument("--forwarded-allow-ips", metavar="ADDRESSES", default=None,
                       help="comma-separated addresses or networks of the proxies those headers are believed "
                            "from (default: $FORWARDED_ALLOW_IPS, else 127.0.0.1,::1)")
    sub.add_parser("migrate", help="alembic upgrade head")
    sub.add_parser("seed-demo", help="load the demo estate and one account per role (idempotent)")
    admin = sub.add_parser("create-admin", help="create an administrator account (a deployment's first); the "
                                                "password is typed at the prompt or read from standard input")
    admin.add_argument("--phone", required=True, help="the mobile number the administrator logs in with")
    admin.add_argument("--name", required=True, help="the name shown for the account")
    verify = sub.add_parser("audit-verify", help="check the audit log's hash chain; exit 1 at the first broken link")
    verify.add_argument("--anchor", metavar="CHAIN:SEQ:HASH", help="an 'audit anchor' from the worker's logs to check too")
    sub.add_parser("worker", help="deliver notifications and run scheduled jobs until SIGTERM/SIGINT")
    export = sub.add_parser("export-openapi", help="write the OpenAPI document")
    export.add_argument("--output", type=Path, default=ROOT / "openapi" / "openapi.json")
    args = parser.parse_args(argv)

    # Settings that production refuses (a placeholder secret, no database URL...) end the command here
    # with one line each, before uvicorn, Alembic or the worker would end it with a traceback.
    refusals = settings_refusals()
    if refusals:
        for reason in refusals:
            print(f"python -m app {args.command}: refused to start: {reason}", file=sys.stderr)
        return 2

    if args.command == "serve":
        import uvicorn

        # forwarded_allow_ips=None: uvicorn reads FORWARDED_ALLOW_IPS (docs/deployment.md).
        uvicorn.run(
            "app.main:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
            log_config=None, proxy_headers=args.proxy_headers, forwarded_allow_ips=args.forwarded_allow_ips,
        )
    elif args.command == "migrate":
        migrate()
    elif args.command == "seed-demo":
        from app.demo import seed_demo

        summary = asyncio.run(seed_demo())
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    elif args.command == "create-admin":
        password = read_password()
        return 1 if password is None else asyncio.run(create_admin(args.name, args.phone, password))
    elif args.command == "audit-verify":
        anchor = None
        if args.anchor:
            key, seq, digest = args.anchor.split(":")
            anchor = (key, int(seq), digest)
        result = asyncio.run(audit_verify(anchor))
        print(json.dumps(result.__dict__))
        return 0 if result.ok else 1
    elif args.command == "worker":
        from app import domains
        from app.core.config import get_settings
        from app.core.logging import configure_logging
        from app.notifications.worker import main as worker_main

        domains.install()  # every domain's scheduled jobs, guards, reactions and hooks
        configure_logging(get_settings().log_level)
        asyncio.run(worker_main())
    elif args.command == "export-openapi":
        export_openapi(args.output)
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
