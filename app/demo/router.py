"""The demo's clock: ``POST /demo/clock`` moves the server's time forward (admins only), so that a plan's
notice period can end during a walk through the demo (README, "Try it with curl").

Mounted by ``create_app`` only with ``APP_DEMO_CLOCK`` on (``make run`` sets it; production settings
refuse it). The offset is kept in the database (``app.core.demo_clock``): the worker beside the service
follows it before each round (notices are delivered, jobs run, at the moved time), and the service
takes it up again at a restart. Access tokens expire by the moved clock: log in again after a move.
"""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.auth.authz import require_roles
from app.auth.deps import AUTHENTICATED, CurrentPrincipal
from app.auth.principal import Principal
from app.auth.roles import Role
from app.core import audit, clock, demo_clock
from app.core.db import SessionDep
from app.core.errors import responses

router = APIRouter(prefix="/demo", tags=["demo"])

Admin = Annotated[Principal, require_roles(Role.admin)]


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=1, le=60, description="how many days to move the clock forward")


class ClockPublic(BaseModel):
    now: datetime = Field(description="the server's time, as every rule reads it")
    offset_days: int = Field(description="how far ahead of the wall clock the demo moved it")


def _public() -> ClockPublic:
    return ClockPublic(now=clock.now(), offset_days=clock.offset() // timedelta(days=1))


@router.get("/clock", response_model=ClockPublic, responses=responses(*AUTHENTICATED))
async def read_demo_clock(_principal: CurrentPrincipal) -> ClockPublic:
    """The server's time and how far the demo moved it (a client of the demo times its requests by it)."""
    return _public()


@router.post("/clock", response_model=ClockPublic, responses=responses(*AUTHENTICATED, 403, 422))
async def advance_demo_clock(body: ClockAdvance, principal: Admin, session: SessionDep) -> ClockPublic:
    """Move the server's clock forward by whole days (the demo only; admins). Deadlines, notice periods
    and token lifetimes all follow it; the move is in the audit log."""
    before = clock.offset() // timedelta(days=1)
    await audit.record(session, actor_id=principal.id, action="demo.clock_advance", entity_type="demo_clock",
                       entity_id="clock", before={"offset_days": before},
                       after={"offset_days": before + body.days})
    clock.advance(timedelta(days=body.days))
    await demo_clock.store(session)  # the worker, and this service after a restart, follow it
    return _public()
