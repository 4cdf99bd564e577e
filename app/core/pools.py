"""Bounded thread pools for CPU work that must stay off the event loop, one per kind of work.

``asyncio.to_thread`` shares one default pool: two dozen image checks queued there made staff logins wait
12 s behind them. Checking uploads, hashing passwords and making PDFs each get their own small pool, so that a burst of
one queues behind itself only; file I/O and spreadsheets keep the default pool.
"""

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

UPLOADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="uploads")  # decoding, hashing
PASSWORDS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="passwords")
DOCUMENTS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="documents")  # PDFs laid out and merged


async def run_in(pool: ThreadPoolExecutor, fn: Callable[..., T], *args) -> T:
    return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(fn, *args))
