"""The benchmarks' CPU sampling (``bench/serving.py``'s ``cpu_used``): the CPU a server's processes - its
workers included - use while a block runs is theirs, not what they used before."""

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from serving import cpu_used  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads Linux's /proc")

# A parent that starts a worker, as uvicorn starts its workers. The worker burns as many CPU seconds as
# each line says, answers "done", and stays alive until an empty line (the CPU of a process that ended
# before the block did is not counted).
BURN = """import time
while seconds := input():
    end = time.process_time() + float(seconds)
    while time.process_time() < end:
        pass
    print("done", flush=True)
"""
PARENT = (f"import subprocess, sys\nchild = subprocess.Popen([sys.executable, '-c', {BURN!r}], stdin=sys.stdin, "
          "stdout=sys.stdout)\nchild.wait()")


def _burn(server: subprocess.Popen, seconds: float) -> None:
    server.stdin.write(f"{seconds}\n")
    server.stdin.flush()
    assert server.stdout.readline().strip() == "done"


def test_a_servers_workers_cpu_is_counted_from_the_blocks_start():
    server = subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        _burn(server, 0.3)  # before the block: not counted
        with cpu_used(server) as used:
            _burn(server, 0.4)
        assert 0.35 <= used["server"] < 0.5  # /proc counts in ticks of 10 ms
    finally:
        server.communicate("\n", timeout=5)
