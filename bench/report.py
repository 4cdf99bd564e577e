"""``bench/results.md``: each benchmark command rewrites its own section, leaving the others as they are."""

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.md"
HEADER = "# Benchmark results\n\nWritten by the commands in `bench/README.md`; each rewrites only its own section.\n"


def write_section(name: str, markdown: str) -> None:
    """Replace the section ``name`` (between its markers) with ``markdown``, or append it."""
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    block = f"<!-- {name} -->\n{markdown.strip()}\n<!-- /{name} -->"
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text.rstrip("\n") + "\n")
