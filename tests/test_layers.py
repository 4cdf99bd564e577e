"""The import contract of ``app/`` (README, "Layers"), checked on every import in the code base.

1. **Layers.** A package imports only packages of its own layer or below; ``core`` imports only ``core``.
2. **No cycles** between packages, within a layer included.
3. **Public modules only.** Of another package, only the modules listed in ``PUBLIC``: its read API, its
   error codes and its extension points - never its tables, services or routers. The composition root
   (the last layer) assembles everything and may import any module.

Imports are read from the source: ``import``, ``from ... import`` (relative ones resolved against the
importing module) and ``importlib.import_module`` / ``__import__`` called with a literal name. A dynamic
import whose name is computed is refused, since no check could see where it leads.

Run ``python -m tests.test_layers`` to print the violations, if any, one per line.
"""

import ast
import shutil
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# Lowest first. A package may import from its own layer and those below, never in a circle.
LAYERS: list[set[str]] = [
    {"core"},
    {"wechat", "privacy"},  # the WeChat client; the privacy notice, consents, who looked: core only
    {"auth"},  # identity: logins, tokens, users, roles, the principal, the authorization kit
    {"registry"},  # the estates' ledger
    {"files", "notifications", "audit"},
    {"residency"},  # bindings of people to units, /me
    {"projects"},
    {"surveys", "plans", "voting", "supervision", "acceptance"},  # the participation domains
    {"public"},  # the public notice board
    {"main", "domains", "models", "__main__", "demo"},  # the composition root and its tools
]
LAYER = {package: level for level, packages in enumerate(LAYERS) for package in packages}
COMPOSITION = LAYERS[-1]

# What other packages may import of each package; None: all of it.
PUBLIC: dict[str, set[str] | None] = {
    "core": None,  # the platform
    "wechat": {"client", "errors"},
    "privacy": {"notice", "consents", "disclosures", "holders", "schemas", "errors"},
    "auth": {"principal", "deps", "authz", "roles", "rules", "scopes", "residence", "reads", "errors",
             "appointments", "users", "schemas"},
    "registry": {"reads", "hooks", "occupants", "corrections", "masking", "errors"},
    "files": {"access", "service", "storage", "errors"},  # attachment kinds, attach; the store to read
    "notifications": {"events", "reads", "errors"},
    "audit": {"errors"},
    "residency": {"reads", "todo", "errors"},
    "projects": {"reads", "lifecycle", "moves", "errors"},
    "surveys": {"reads", "errors"},
    "plans": {"reads", "hooks", "errors"},
    "voting": {"reads", "errors"},
    "supervision": {"orders", "errors"},  # issuing orders (an acceptance's rejection)
    "acceptance": {"reads", "errors"},
    "public": {"errors"},
}
DYNAMIC = {"import_module", "__import__"}


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _resolve(importer: str, is_package: bool, module: str | None, level: int) -> str:
    """The absolute name of ``from <level dots><module> import ...`` inside module ``importer``."""
    if level == 0:
        return module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """Every module of ``app`` the file imports, with its line; a computed dynamic import as ``?``."""
    importer = _module_name(path, root)
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(importer, path.name == "__init__.py", node.module, node.level)
            # ``from app.voting import service`` names a module; ``from app.voting.service import x`` a name.
            found += [(node.lineno, f"{base}.{alias.name}" if (root.parent / base.replace(".", "/") / alias.name)
                       .with_suffix(".py").exists() or (root.parent / base.replace(".", "/") / alias.name).is_dir()
                       else base) for alias in node.names]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in DYNAMIC and node.args:
                arg = node.args[0]
                literal = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                found.append((node.lineno, arg.value if literal else "?"))
    return [(line, name) for line, name in found if name == "?" or name == "app" or name.startswith("app.")]


def _package(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def violations(root: Path = APP) -> list[str]:
    problems: list[str] = []
    edges: dict[str, dict[str, str]] = {}  # importer package -> imported package -> where (one import)
    for path in sorted(root.rglob("*.py")):
        importer = _package(_module_name(path, root)) or path.stem
        for line, name in _imports(path, root):
            where = f"{path.relative_to(root.parent)}:{line}"
            if name == "?":
                problems.append(f"{where}: a dynamic import with a computed name (the contract cannot see it)")
                continue
            parts = name.split(".")
            target = parts[1] if len(parts) > 1 else ""
            module = parts[2] if len(parts) > 2 else None
            what = f"{where} imports {name}"
            if target == importer:
                continue
            if importer == "core":
                problems.append(f"{what}: core imports only core")
                continue
            if target not in LAYER or importer not in LAYER:
                problems.append(f"{what}: {target if target not in LAYER else importer!r} has no layer (add it to LAYERS)")
                continue
            edges.setdefault(importer, {}).setdefault(target, what)
            if LAYER[target] > LAYER[importer]:
                problems.append(f"{what}: {importer} (layer {LAYER[importer]}) imports upwards")
            public = PUBLIC.get(target)
            if importer not in COMPOSITION and public is not None and module not in public:
                problems.append(f"{what}: only {sorted(public)} of {target} are public")
    problems += [f"import cycle {' -> '.join(cycle + [cycle[0]])}: " + "; ".join(
        edges[a][b] for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True)) for cycle in _cycles(edges)]
    return problems


def _cycles(edges: dict[str, dict[str, str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of packages (Tarjan), as a path of packages."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [_path_within(sorted(g)[0], g, edges) for g in groups]


def _path_within(start: str, group: set[str], edges: dict[str, dict[str, str]]) -> list[str]:
    """A cycle from ``start`` back to it inside ``group`` (breadth first: the shortest)."""
    paths = [[start]]
    while paths:
        path = paths.pop(0)
        for w in sorted(edges.get(path[-1], {})):
            if w == start:
                return path
            if w in group and w not in path:
                paths.append(path + [w])
    raise AssertionError("a strongly connected group has a cycle")


def test_imports_follow_the_layers():
    assert violations() == []


def test_every_package_has_a_layer_and_a_public_list():
    packages = {p.name for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in APP.glob("*.py") if p.stem != "__init__"}
    assert packages | modules == set(LAYER)
    assert set(PUBLIC) == set(LAYER) - COMPOSITION


QUERYING = {"exec", "execute", "scalar", "scalars", "get", "stream"}


def router_queries(root: Path = APP) -> list[str]:
    """Routers stay thin (README, "Adding a domain"): no SQL toolkit imported, no session queried."""
    found = []
    for path in sorted(root.rglob("router.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                found += [f"{where} imports {n}" for n in names if n.split(".")[0] in ("sqlalchemy", "sqlmodel")]
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERYING
                  and isinstance(node.func.value, ast.Name) and node.func.value.id in ("session", "db")):
                found.append(f"{where} queries the session ({node.func.attr})")
    return found


def test_routers_do_not_query(tmp_path):
    assert router_queries() == []
    planted = tmp_path / "app" / "voting"
    planted.mkdir(parents=True)
    (planted / "router.py").write_text("from sqlmodel import select\nasync def f(session):\n"
                                       "    return await session.exec(select(1))\n")
    assert router_queries(tmp_path / "app") == ["app/voting/router.py:1 imports sqlmodel",
                                                "app/voting/router.py:3 queries the session (exec)"]


PLANTED = {
    # an upward import, relative and resolved: registry reading projects
    "registry/planted_relative.py": "from ..projects.reads import project_ref\n",
    # the same, spelled as a dynamic import with a literal
    "files/planted_dynamic.py": "import importlib\nimportlib.import_module('app.voting.service')\n",
    "notifications/planted_dunder.py": "__import__('app.surveys.models')\n",
    # a name the check cannot follow
    "audit/planted_computed.py": "from importlib import import_module\nname = 'app.voting'\nimport_module(name)\n",
    # core reaching the composition root (the exemption that once let it through)
    "core/planted_root.py": "from app.domains import MANIFESTS\n",
    # a cycle inside one layer: acceptance reads supervision's orders; supervision now reads acceptance
    "supervision/planted_cycle.py": "from app.acceptance import errors\n",
    # a domain reading another's tables
    "plans/planted_tables.py": "from app.projects.models import Project\n",
}


def test_each_kind_of_planted_violation_fails(tmp_path):
    """A copy of ``app/`` with one violation of each kind planted: each is reported, and nothing else."""
    copy = tmp_path / "app"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for rel, text in PLANTED.items():
        (copy / rel).write_text(text)
    found = violations(copy)

    def reported(rel: str, *words: str) -> bool:
        return any(p.startswith(f"app/{rel}:") and all(w in p for w in words) for p in found)

    assert reported("registry/planted_relative.py", "app.projects.reads", "imports upwards")
    assert reported("files/planted_dynamic.py", "app.voting.service", "imports upwards")
    assert reported("files/planted_dynamic.py", "app.voting.service", "are public")
    assert reported("notifications/planted_dunder.py", "app.surveys.models", "imports upwards")
    assert reported("audit/planted_computed.py", "computed name")
    assert reported("core/planted_root.py", "app.domains", "core imports only core")
    assert reported("plans/planted_tables.py", "app.projects.models", "are public")
    # Within one layer, neither import alone breaks a rule: the cycle is what is reported.
    assert not reported("supervision/planted_cycle.py")
    cycle = next(p for p in found if p.startswith("import cycle acceptance -> supervision -> acceptance"))
    assert "app/supervision/planted_cycle.py:1" in cycle and "app/acceptance/" in cycle
    assert all("planted" in p for p in found), [p for p in found if "planted" not in p]


if __name__ == "__main__":
    found = violations()
    print("\n".join(found) or "imports follow the layers")
    sys.exit(1 if found else 0)
