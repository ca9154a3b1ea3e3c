"""The package's shape: the demo uses only public names, and no module reaches into another's private ones."""

import ast
from pathlib import Path

import widgets

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_MODULES = {"widgets", "widgets.builtin"}  # the API, and the stock widget kinds


def imports_of(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every ``from module import name`` of a widgets module in ``path``."""
    tree = ast.parse(path.read_text())
    return [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("widgets")
        for alias in node.names
    ]


def subpackage_of(module: str) -> str:
    """``widgets.cache.store`` → ``widgets.cache``; a top-level module is its own."""
    return ".".join(module.split(".")[:2])


def test_the_demo_imports_only_the_public_api():
    outside = [
        f"{path.relative_to(ROOT)}: {module}.{name}"
        for path in sorted((ROOT / "dashboard").rglob("*.py"))
        for module, name in imports_of(path)
        if module not in PUBLIC_MODULES and not module.startswith("widgets.builtin.")
    ]
    assert outside == []


def test_every_public_name_is_importable_from_the_package():
    missing = [name for name in widgets.__all__ if not hasattr(widgets, name)]
    assert missing == []
    assert {"Widget", "Dashboard", "Tile", "register", "PeriodField", "get_asgi_application"} <= set(
        widgets.__all__
    )


def test_no_module_takes_a_private_name_from_another_subpackage():
    private = [
        f"{path.relative_to(ROOT)}: {module}.{name}"
        for path in sorted((ROOT / "widgets").rglob("*.py"))
        if "migrations" not in path.parts
        for module, name in imports_of(path)
        if name.startswith("_")
        and subpackage_of(module) != subpackage_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
    ]
    assert private == []


def test_other_subpackages_are_used_through_their_package_not_their_modules():
    """Inside widgets/, another subpackage's names come from its package (its ``__init__``)."""
    subpackages = {path.parent.name for path in (ROOT / "widgets").glob("*/__init__.py")} - {
        "builtin",
        "templatetags",
        "management",
        "migrations",
    }
    # Where Django looks for them, these modules name the ones that define what Django wants.
    django_entry_points = {"admin.py", "models.py", "urls.py"}
    reaching_in = []
    for path in sorted((ROOT / "widgets").rglob("*.py")):
        if path.parent.name == "widgets" and path.name in django_entry_points:
            continue
        own = subpackage_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for module, name in imports_of(path):
            parts = module.split(".")
            if len(parts) > 2 and parts[1] in subpackages and subpackage_of(module) != own:
                reaching_in.append(f"{path.relative_to(ROOT)}: {module}.{name}")
    assert reaching_in == []
