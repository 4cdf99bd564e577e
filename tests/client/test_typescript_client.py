"""What a client developer meets first: openapi-typescript generates the types of ``openapi/openapi.json``
with no ``[key: string]: unknown`` left, and ``tsc --noEmit`` compiles the mini-program's calls
(``calls.ts``: login, the notice and binding, tasks, answering, voting, my vote) against them.

Needs the npm tools of ``tests/client/package.json`` (``make test`` installs them); without npm the test
is skipped, except under ``APP_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where a missing tool fails.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
TOOLS = HERE / "node_modules" / ".bin"
DOCUMENT = HERE.parent.parent / "openapi" / "openapi.json"


def _tool(name: str) -> str:
    path = TOOLS / name
    if not path.exists():
        if os.environ.get("APP_REQUIRE_BROWSER"):
            pytest.fail(f"APP_REQUIRE_BROWSER is set but {name} is not installed (npm ci --prefix tests/client)")
        pytest.skip(f"{name} is not installed (npm ci --prefix tests/client)")
    return str(path)


def test_the_generated_client_is_typed_and_the_mini_programs_calls_compile(tmp_path):
    generate, compile_ = _tool("openapi-typescript"), _tool("tsc")
    for name in ("calls.ts", "tsconfig.json"):
        shutil.copy(HERE / name, tmp_path / name)
    generated = subprocess.run([generate, str(DOCUMENT), "--default-non-nullable", "false", "-o",
                                str(tmp_path / "api.d.ts")], capture_output=True, text=True, timeout=120)
    assert generated.returncode == 0, generated.stderr
    types = (tmp_path / "api.d.ts").read_text()
    assert "[key: string]: unknown" not in types
    assert '"consent_required"' in types and "QuestionnaireTask" in types
    compiled = subprocess.run([compile_, "-p", str(tmp_path / "tsconfig.json")], capture_output=True, text=True,
                              timeout=120)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


def test_a_contract_change_under_the_calls_is_caught(tmp_path):
    """The check can fail: the same calls against a document whose tasks are untyped again do not compile."""
    import json

    generate, compile_ = _tool("openapi-typescript"), _tool("tsc")
    document = json.loads(DOCUMENT.read_text())
    document["components"]["schemas"]["TasksPublic"]["properties"]["ballots"] = {
        "type": "array", "items": {"type": "object", "additionalProperties": True}}
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    for name in ("calls.ts", "tsconfig.json"):
        shutil.copy(HERE / name, tmp_path / name)
    subprocess.run([generate, str(tmp_path / "openapi.json"), "--default-non-nullable", "false", "-o",
                    str(tmp_path / "api.d.ts")], check=True, capture_output=True, timeout=120)
    assert "[key: string]: unknown" in (tmp_path / "api.d.ts").read_text()
    compiled = subprocess.run([compile_, "-p", str(tmp_path / "tsconfig.json")], capture_output=True, text=True,
                              timeout=120)
    assert compiled.returncode != 0 and "calls.ts" in compiled.stdout
