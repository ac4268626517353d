"""The layers of the code: ``core`` at the bottom imports none of the domain apps, and the demo
data at the top is imported by nobody but itself and the tests.

Read from the source with ``ast`` (nothing is imported), so a lazy import inside a function
counts as much as one at the top of a module, and so does a dotted path given to
``import_module`` or ``import_string``.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: the apps of this project above ``core``, bottom to top
DOMAIN_APPS = (
    "accounts",
    "projects",
    "schedule",
    "issues",
    "approvals",
    "progress",
    "funding",
    "indicators",
    "cockpit",
    "reports",
    "demo",
)
#: packages that may not import ``demo``: every one of ours but ``demo`` itself and the tests
BELOW_DEMO = ("config", "core", *DOMAIN_APPS[:-1])
DYNAMIC_IMPORTS = {"import_module", "import_string"}


def sources(package: str) -> list[Path]:
    """The package's modules, without its tests and migrations."""
    return sorted(
        path
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
        and "tests" not in path.relative_to(ROOT).parts[1:]
        and not path.name.startswith("test_")
    )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a module, relative ones resolved."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: list[str]) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, *([node.module] if node.module else [])])
            if node.module:
                found.append((node.lineno, name))
            else:  # from . import x: each x may be a module
                found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            called = node.func.id if isinstance(node.func, ast.Name) else called
            if (
                called in DYNAMIC_IMPORTS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append((node.lineno, node.args[0].value))
    return found


def offending(packages, forbidden) -> list[str]:
    lines = []
    for package in packages:
        for path in sources(package):
            for line, name in imported(path):
                if name.split(".")[0] in forbidden:
                    lines.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return lines


def test_the_sources_are_found():
    assert ROOT.joinpath("core", "apps.py") in sources("core")
    assert all((ROOT / package / "apps.py").exists() for package in DOMAIN_APPS)


def test_core_imports_no_app_of_ours():
    assert offending(["core"], DOMAIN_APPS) == []


def test_only_the_tests_import_the_demo():
    assert offending(BELOW_DEMO, {"demo"}) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import accounts.models", "accounts.models"),
        ("from accounts.models import Region", "accounts.models"),
        ("from . import views", "core.views"),
        ("from .views import x", "core.views"),
        ("from .. import xlsx", "core.xlsx"),
        ("def f():\n    from projects import services", "projects"),
        ("import_module('issues.services')", "issues.services"),
    ],
)
def test_an_import_is_read_whatever_its_form(source, expected):
    """As written in a module of the package ``core`` (``from ..`` in ``core.api``)."""
    package = ["core", "api"] if source.startswith("from ..") else ["core"]
    assert [name for _line, name in imports_in(source, package)] == [expected]
