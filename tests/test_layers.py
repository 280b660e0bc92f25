"""Imports flow one way: api -> services -> schemas -> models (docs/architecture.md).

Every module of the package is parsed with `ast` (imports inside functions count too) and
each import is checked against what its layer may import. A view may use anything below
it; a service never knows Flask or the API; a schema never reaches a service or the
database; a model knows no layer above it; the leaf modules (ids, errors, durations,
due_rules, client_input) import nothing of NextStep but each other.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nextstep"
LEAVES = {"nextstep.ids", "nextstep.errors", "nextstep.durations", "nextstep.due_rules",
          "nextstep.client_input"}
# layer -> the import prefixes it must never use
FORBIDDEN = {
    "api": ("nextstep.cli",),
    "services": ("flask", "nextstep.api", "nextstep.cli", "nextstep.ratelimit",
                 "nextstep.extension"),
    "schemas": ("flask", "nextstep.api", "nextstep.cli", "nextstep.services", "nextstep.db",
                "nextstep.statements", "nextstep.ratelimit", "nextstep.extension"),
    "models": ("flask", "nextstep.api", "nextstep.cli", "nextstep.services",
               "nextstep.schemas", "nextstep.db", "nextstep.statements", "nextstep.ratelimit",
               "nextstep.extension"),
}


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source, module, is_package=False):
    """Absolute names of everything `source` (the text of `module`) imports."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module
            else:
                base = ".".join(package[:len(package) - node.level + 1]
                                + ([node.module] if node.module else []))
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names]  # `from . import x`
    return names


def layer_of(module):
    parts = module.split(".")
    if module in LEAVES:
        return "leaf"
    return parts[1] if len(parts) > 1 and parts[1] in FORBIDDEN else None


def broken_arrows(module, names):
    """The imports of `module` its layer forbids, as "module -> name"."""
    layer = layer_of(module)
    if layer == "leaf":
        return [f"{module} -> {name}" for name in names
                if name.startswith("nextstep") and name not in LEAVES
                and name.rsplit(".", 1)[0] not in LEAVES]
    prefixes = FORBIDDEN.get(layer, ())
    return [f"{module} -> {name}" for name in names
            if any(name == p or name.startswith(p + ".") for p in prefixes)]


def package_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), path


def test_every_layer_is_found():
    layers = {layer_of(module) for module, _path in package_modules()}
    assert {"api", "services", "schemas", "models", "leaf"} <= layers


@pytest.mark.parametrize("module,path", list(package_modules()), ids=lambda v: str(v))
def test_imports_flow_one_way(module, path):
    names = imports_of(path.read_text(), module, path.name == "__init__.py")
    assert broken_arrows(module, names) == []


@pytest.mark.parametrize("module,source,expected", [
    ("nextstep.schemas.run", "from ..services.elements import clean_value",
     "nextstep.schemas.run -> nextstep.services.elements"),
    ("nextstep.schemas.run", "def f():\n    from nextstep.db import execute",
     "nextstep.schemas.run -> nextstep.db"),
    ("nextstep.services.runs", "from flask import g", "nextstep.services.runs -> flask"),
    ("nextstep.services.runs", "from ..api.responses import single",
     "nextstep.services.runs -> nextstep.api.responses"),
    ("nextstep.models.run", "from ..schemas.run import RunSchema",
     "nextstep.models.run -> nextstep.schemas.run"),
    ("nextstep.models.run", "from .. import services", "nextstep.models.run -> nextstep.services"),
    ("nextstep.ids", "from .models import Run", "nextstep.ids -> nextstep.models"),
    ("nextstep.api.runs", "import nextstep.cli.serve", "nextstep.api.runs -> nextstep.cli.serve"),
])
def test_the_check_catches_an_arrow_against_the_flow(module, source, expected):
    assert expected in broken_arrows(module, imports_of(source, module))


def test_the_check_lets_the_flow_through():
    source = ("from ..models import Run\nfrom ..schemas.run_task import run_task_shape\n"
              "from ..db import execute\nfrom . import events\nfrom ..ids import new_id\n")
    assert broken_arrows("nextstep.services.runs",
                         imports_of(source, "nextstep.services.runs")) == []
