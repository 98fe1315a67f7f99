"""The engine is a library: nothing under harness/engine may import the rest of the harness."""

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "harness" / "engine"


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(ENGINE.parent.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield ".".join(base + ([node.module] if node.module else []))
            elif node.module:
                yield node.module


def test_no_engine_module_imports_the_harness():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        for name in _imports(path):
            if name.startswith("harness") and not name.startswith("harness.engine"):
                offenders.append(f"{path.relative_to(ENGINE)}: {name}")
    assert not offenders, offenders
