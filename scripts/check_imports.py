"""Fail on imports inside functions or classes under src/ (they hide import cycles), outside a short allow-list.

    python scripts/check_imports.py [--root src]

Allowed without listing: module-level imports, including those under a module-level `if TYPE_CHECKING:` and
module-level `try:` blocks. Everything else must be in ALLOWED below, with the reason it is lazy.
Exit status 1 and one line per offending import (path:line: module) otherwise.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

# (path relative to the root, imported module, or "*" for any) -> why it is imported lazily
ALLOWED: dict[tuple[str, str], str] = {
    # the CLI starts fast: `counterpoint --help` or `orders` must not load the web stack, uvicorn or the demo
    ("counterpoint/cli/main.py", "*"): "CLI startup time",
    ("counterpoint/cli/database.py", "filelock"): "only `serve` on SQLite takes the lock",
    # feature detection: the helper exists only in newer FastAPI releases
    ("counterpoint/api/errors.py", "fastapi.routing"): "FastAPI version detection",
}


def _module_of(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = "." * node.level + (node.module or "")
    return [base]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _top_level(tree: ast.Module) -> set[int]:
    """ids of the import nodes that run at module level (directly, in `if TYPE_CHECKING:` or in `try:`)."""
    out: set[int] = set()

    def walk(stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                out.add(id(stmt))
            elif isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
                walk(stmt.body)
                walk(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                walk(stmt.body)
                for handler in stmt.handlers:
                    walk(handler.body)
                walk(stmt.orelse)
                walk(stmt.finalbody)

    walk(tree.body)
    return out


def offenders(root: Path) -> list[str]:
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        top = _top_level(tree)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or id(node) in top:
                continue
            for module in _module_of(node):
                if (rel, module) not in ALLOWED and (rel, "*") not in ALLOWED:
                    found.append(f"{path}:{node.lineno}: function-local import of {module}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent / "src")
    args = parser.parse_args(argv)
    found = offenders(args.root)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} function-local import(s): import at module level (fix the cycle it hides), or add "
              "the import to ALLOWED in scripts/check_imports.py with the reason", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
