"""The import rules of the code base (README, "Layout"), checked on every import statement in ``app/``.

- ``app/core`` imports nothing of the domains.
- A domain imports another only at the same layer or below, and only that domain's public modules: its
  read API (``reads``) and the registration APIs listed below - never its tables (``models``), services
  or routers.
"""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# Lower layers first. A package may import from its own layer and those below.
LAYER = {
    "core": 0,
    "wechat": 1,
    "auth": 2, "authz": 2, "registry": 2, "files": 2, "notifications": 2,
    "projects": 3, "audit": 3,
    "surveys": 4, "plans": 4, "voting": 4, "supervision": 4, "acceptance": 4,
}

# What other packages may import of each package.
PUBLIC = {
    "core": None,  # everything: the platform
    "authz": None,  # the authorization kit is one module
    "wechat": {"client", "errors"},
    "auth": {"principal", "deps", "roles", "rules", "scopes", "reads", "todo", "errors", "appointments"},
    "registry": {"reads", "hooks", "occupants", "errors"},
    "files": {"access", "service", "errors", "storage"},  # register_attachment_kind, attach; the store to read
    "notifications": {"events", "errors"},
    "projects": {"reads", "lifecycle", "moves", "errors"},
    "audit": set(),
    "surveys": set(),
    "plans": {"reads"},
    "voting": set(),
    "supervision": {"orders", "errors"},  # issuing orders (an acceptance's rejection); its codes
    "acceptance": set(),
}

# The composition root and tools that assemble every domain.
EXEMPT = {"main", "domains", "models", "__main__", "demo"}


def _package(path: Path) -> str:
    rel = path.relative_to(APP)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module.count(".") >= 2 else [f"{node.module}.{a.name}" for a in node.names]
            found += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, name) for line, name in found if name.startswith("app.")]


def violations() -> list[str]:
    problems = []
    for path in sorted(APP.rglob("*.py")):
        importer = _package(path)
        if importer in EXEMPT:
            continue
        for line, name in _imports(path):
            parts = name.split(".")
            target = parts[1]
            module = parts[2] if len(parts) > 2 else None
            where = f"{path.relative_to(APP.parent)}:{line} imports {name}"
            if target == importer or target in EXEMPT and importer == "core":
                continue
            if importer == "core":
                problems.append(f"{where}: core imports no domain")
                continue
            if target not in LAYER:
                problems.append(f"{where}: {target!r} has no layer (add it to LAYER)")
                continue
            if importer not in LAYER:
                problems.append(f"{where}: {importer!r} has no layer (add it to LAYER)")
                continue
            if LAYER[target] > LAYER[importer]:
                problems.append(f"{where}: {importer} (layer {LAYER[importer]}) imports upwards")
            public = PUBLIC[target]
            if public is not None and module not in public:
                problems.append(f"{where}: only {sorted(public)} of {target} are public")
    return problems


def test_imports_follow_the_layers():
    assert violations() == []


def test_the_checker_catches_what_it_forbids(tmp_path, monkeypatch):
    """The rules bite: a core module importing a domain, a domain reading another's tables, an upward import."""
    fake = tmp_path / "app"
    for rel, text in {
        "core/bad.py": "from app.registry.reads import estate\n",
        "auth/bad.py": "from app.projects import service\n",
        "projects/bad.py": "from app.registry.models import Estate\nfrom app.registry import reads\n",
        "registry/ok.py": "from app.auth.principal import Principal\nfrom app.core.db import SessionDep\n",
    }.items():
        (fake / rel).parent.mkdir(parents=True, exist_ok=True)
        (fake / rel).write_text(text)
    monkeypatch.setattr(__import__(__name__, fromlist=["APP"]), "APP", fake)
    found = violations()
    assert any("core/bad.py:1" in p and "core imports no domain" in p for p in found)
    assert any("auth/bad.py:1" in p and "imports upwards" in p for p in found)
    assert any("auth/bad.py:1" in p and "public" in p for p in found)
    assert any("projects/bad.py:1" in p and "app.registry.models" in p for p in found)
    assert not any("projects/bad.py:2" in p for p in found)
    assert not any("registry/ok.py" in p for p in found)
