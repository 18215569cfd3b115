"""Imports sit at the top of modules (issue 16): an import inside a function hides a cycle from lint-imports. Only
the command line imports inside its commands (each loads just what it runs), and the heavy PDF stack may be loaded
when a document is first drawn or signed."""

import ast
from pathlib import Path

import cabinet

PACKAGE = Path(cabinet.__file__).parent
#: modules whose commands import what they use when run
EDGES = {"cli.py"}
#: loaded late because they are large and most requests never draw a PDF
HEAVY = ("fpdf", "pyhanko", "pyhanko_certvalidator", "cabinet.documents")


def imports_inside_functions(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    found += [(inner.lineno, alias.name) for alias in inner.names]
                elif isinstance(inner, ast.ImportFrom):
                    found.append((inner.lineno, "." * inner.level + (inner.module or "")))
    return found


def test_no_module_imports_inside_a_function_but_the_command_line():
    hidden = [f"{path.relative_to(PACKAGE)}:{line} {name}"
              for path in sorted(PACKAGE.rglob("*.py")) if path.relative_to(PACKAGE).as_posix() not in EDGES
              for line, name in imports_inside_functions(path)
              if not any(name == heavy or name.startswith(heavy + ".") for heavy in HEAVY)]
    assert hidden == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "late.py"
    module.write_text("import os\n\n\ndef f():\n    from cabinet import app\n    return app, os\n", encoding="utf-8")
    assert imports_inside_functions(module) == [(5, "cabinet")]
