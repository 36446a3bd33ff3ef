"""The alerts app stands on its own: of the registry it uses the models, services, choices and
roles, never the registry's doors (admin, API views, web pages), whose shared ground is core/."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ALERTS = Path(settings.BASE_DIR) / "alerts"
#: Modules of the registry (and everything under them) that alerts must not import.
FORBIDDEN = ("registry.admin", "registry.api", "registry.web")
#: All that alerts may import of the registry.
ALLOWED = ("registry.models", "registry.services", "registry.choices", "registry.roles")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def _within(module: str, names: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in names)


def forbidden(module: str) -> bool:
    return _within(module, FORBIDDEN)


@pytest.mark.parametrize(
    "path", sorted(ALERTS.rglob("*.py")), ids=lambda p: str(p.relative_to(ALERTS.parent))
)
def test_alerts_does_not_import_the_registrys_doors(path):
    assert sorted(m for m in imported_modules(path) if forbidden(m)) == []


@pytest.mark.parametrize(
    "path", sorted(ALERTS.rglob("*.py")), ids=lambda p: str(p.relative_to(ALERTS.parent))
)
def test_alerts_uses_only_the_registrys_models_services_choices_and_roles(path):
    registry = {m for m in imported_modules(path) if _within(m, ("registry",))}
    # ``from registry import models`` names the package itself beside what it takes from it.
    assert sorted(m for m in registry - {"registry"} if not _within(m, ALLOWED)) == []


def test_the_check_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from registry import web\nfrom registry.models import Vendor\n"
        "def later():\n    import registry.web.forms\n"
    )
    assert sorted(m for m in imported_modules(sample) if forbidden(m)) == [
        "registry.web",
        "registry.web.forms",
    ]
