"""Shared plumbing of the factories."""

from itertools import count

from sqlmodel.ext.asyncio.session import AsyncSession

_seq = count(1)


def n() -> int:
    """A fresh number, so that generated names never collide."""
    return next(_seq)


async def add(db: AsyncSession, obj):
    db.add(obj)
    await db.flush()
    return obj
