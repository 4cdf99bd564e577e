"""The service in a subprocess on a free local port, for the tests that need a real server (a browser, a
shell walk): started, waited for until ``/healthz`` answers, stopped afterwards."""

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(command: list[str], log: Path, env: dict[str, str], cwd: Path | None = None,
            port: int | None = None) -> Iterator[str]:
    """``command`` with ``--host 127.0.0.1 --port N`` appended, its output in ``log``; yields its base URL."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], cwd=cwd, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"the service did not start: {log.read_text()}")
        yield base
    finally:
        server.terminate()
        server.wait(10)
