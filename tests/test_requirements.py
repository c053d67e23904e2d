"""Everything the portal imports when it runs is installed by requirements.txt.

The Dockerfile and a production install take requirements.txt alone; requirements-dev.txt adds
the test and bench tools on top. A module the portal's code imports that only the dev set
brings (or that happens to be in the developer's virtualenv) works in every test and fails in
production, on the first request that reaches it. Each third-party import of the portal's
packages (the source, not tests/ or bench/) must come from a distribution requirements.txt
names, or one they require.
"""

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PACKAGES = ("accounts", "mfa", "sso")


def _requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def _closure(requirements: list[Requirement]) -> set[str]:
    """The names (normalised) of the distributions ``requirements`` install, with their own
    requirements, extras and environment markers as pip would resolve them here."""
    seen: set[str] = set()
    todo = [(r.name, frozenset(r.extras)) for r in requirements]
    while todo:
        name, extras = todo.pop()
        key = _normalise(name)
        if (key, extras) in seen:
            continue
        seen.add((key, extras))
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if requirement.marker is None or any(
                requirement.marker.evaluate(env) for env in environments
            ):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return {name for name, _extras in seen}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules() -> dict[str, str]:
    """Top-level modules imported by the portal's runtime packages: module -> one file."""
    found: dict[str, str] = {}
    for package in RUNTIME_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_runtime_import_is_installed_by_requirements_txt():
    installed = _closure(_requirements(ROOT / "requirements.txt"))
    distributions = metadata.packages_distributions()
    own = {path.name for path in ROOT.iterdir() if path.is_dir()} | {"manage"}
    missing = []
    for module, where in sorted(_imported_modules().items()):
        if module in sys.stdlib_module_names or module in own or module == "__future__":
            continue
        owners = {_normalise(name) for name in distributions.get(module, [])}
        if not owners & installed:
            missing.append(f"{module} (imported by {where}; from {sorted(owners) or '?'})")
    assert not missing, "not installed by requirements.txt: " + ", ".join(missing)
