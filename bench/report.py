"""``bench/results.md``: each benchmark command rewrites its own section, leaving the others as they are."""

import os
import re
import time
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


def figures_table(title: str, command: str, figures: dict, targets: dict[str, float], note: str = "") -> str:
    """A section of one benchmark's figures: each with its target (an upper bound) where it has one."""
    lines = [f"## {title}", "", f"`{command}`, measured {time.strftime('%Y-%m-%d %H:%M')} on this machine "
             f"({os.cpu_count()} cores), PostgreSQL on the same machine. {note}".rstrip(), "",
             "| figure | value | target | met |", "|---|---:|---|---|"]
    for name, value in figures.items():
        target = targets.get(name)
        met = "" if target is None else ("yes" if value <= target else "**no**")
        lines.append(f"| {name} | {value} | {'' if target is None else f'< {target}'} | {met} |")
    return "\n".join(lines)
