"""The layout is a map of the domain only while its rules hold: services import downward
(app/services/__init__.py), blueprints do not import each other, nothing hides a cycle behind
an import inside a function."""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
# A package may import these packages (and the leaves); the leaves import only leaves.
SERVICE_RULES = {
    "evidence": {"triage", "intake", "files"},
    "triage": {"intake", "files"},
    "intake": {"files"},
    "files": set(),
    "ops": {"files"},
    "outreach": set(),
    "groups": {"intake", "files"},  # partner groups send reports (issue 23)
}
BLUEPRINTS = {"public", "staff", "admin"}
WEB_ONLY = {"app.extensions", "app.forms", "app.auth", "app.errors", "app.downloads"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported name, inside a function?) for every import from the app package; for
    `from app.x import y` the name is app.x.y (a module, or something defined in app.x)."""
    tree = ast.parse(path.read_text(), str(path))
    in_function = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                   for inner in ast.walk(node) if inner is not node}
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if name == "app" or name.startswith("app."):
                found.append((name, id(node) in in_function))
    return found


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in APP.rglob("*.py")}


def resolve(name: str, known: dict[str, Path]) -> str | None:
    """The app module an imported name refers to (`from app.x import y` may name a module or a
    function in app.x)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for imported, _ in imports(path):
            target = resolve(imported, known)
            if target and target != name:
                edges[name].add(target)
    return edges


def top(module: str) -> str:
    """"public" for app.public.report_views, "services" for app.services.audit, …."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def service_area(module: str) -> str | None:
    """"leaf" for app/services/<leaf>.py, the package name for app/services/<package>/…."""
    parts = module.split(".")
    if parts[:2] != ["app", "services"] or len(parts) < 3:
        return None
    return parts[2] if parts[2] in SERVICE_RULES else "leaf"


def test_services_import_only_downward():
    problems = []
    for module, targets in graph().items():
        area = service_area(module)
        if area is None:
            continue
        for target in targets:
            if target in WEB_ONLY or target == "app" or top(target) in BLUEPRINTS | {"cli"}:
                problems.append(f"{module} imports {target}: services must not know the web layer")
            target_area = service_area(target)
            if target_area is None or target_area in ("leaf", area):
                continue
            if area == "leaf" or target_area not in SERVICE_RULES[area]:
                problems.append(f"{module} ({area}) imports {target} ({target_area})")
    assert not problems, "\n".join(problems)


def test_blueprints_do_not_import_each_other():
    problems = [f"{module} imports {target}" for module, targets in graph().items() for target in targets
                if top(module) in BLUEPRINTS and top(target) in BLUEPRINTS and top(module) != top(target)]
    assert not problems, "\n".join(problems)


def test_no_import_inside_a_function():
    """An import in a function body usually hides a cycle; none is needed."""
    problems = [f"{module}: {imported}" for module, path in modules().items()
                for imported, nested in imports(path) if nested]
    assert not problems, "\n".join(problems)


def test_no_import_cycles():
    """Blueprint packages import their view modules at the end to register them (Flask's
    pattern), and the views import the blueprint object back: those edges are left out."""
    edges = graph()
    for module, targets in edges.items():
        if module.split(".")[-1] in BLUEPRINTS:
            edges[module] = {t for t in targets if not t.startswith(module + ".")}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            raise AssertionError("import cycle: " + " → ".join(cycle))


def _third_party_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_only_the_sealed_package_touches_cryptographic_primitives():
    """app/sealed/__init__.py: the rest of the app calls the package, never a primitive."""
    problems = []
    for module, path in modules().items():
        if module == "app.sealed" or module.startswith("app.sealed."):
            continue
        if used := _third_party_imports(path) & {"cryptography", "argon2"}:
            problems.append(f"{module} imports {', '.join(sorted(used))}")
        problems += [f"{module} imports {name}" for name, _ in imports(path) if name.startswith("app.sealed.crypto")]
    assert not problems, "\n".join(problems)


def test_the_sealed_package_imports_no_service_package_and_no_web_layer():
    """It sits under the services: it may use the leaves (audit, refusal), models and config."""
    problems = []
    for module, targets in graph().items():
        if not module.startswith("app.sealed"):
            continue
        for target in targets:
            if target in WEB_ONLY or top(target) in BLUEPRINTS | {"cli"} or service_area(target) not in (None, "leaf"):
                problems.append(f"{module} imports {target}")
    assert not problems, "\n".join(problems)
