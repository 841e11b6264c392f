"""The API never touches the database: no SQLAlchemy, no driver, no tables, no SQL in any module of ``api/``.

Controllers build commands or call query functions of ``workflow``; this scans the source with
``ast`` so a module that opens a connection or writes SQL fails the test suite.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, Table
from sqlalchemy.sql import ClauseElement
from sqlmodel import SQLModel

API = Path(__file__).resolve().parents[2] / "api"
#: Packages whose import means talking to the database directly.
DATABASE_PACKAGES = ("sqlalchemy", "sqlmodel", "sqlite3", "psycopg", "psycopg2", "alembic")
#: Modules of ``workflow`` that hand out connections or tables rather than answers.
DATABASE_MODULES = (
    "workflow.schema.db",
    "workflow.schema.tables",
    "workflow.autocommit",
    "workflow.engine.group_commit",
    "workflow.engine.writers",
)
#: SQL as written in code: statements in capitals, or lower-case statements with their shape.
SQL = (
    re.compile(
        r"\b(SELECT|INSERT\s+INTO|UPDATE\b.+\bSET|DELETE\s+FROM|BEGIN|PRAGMA|COMMIT|ROLLBACK|SAVEPOINT)\b",
        re.DOTALL,
    ),
    re.compile(
        r"\b(select\s+(\*|\w+(\.\w+)?(\s*,\s*\w+(\.\w+)?)*)\s+from\s+\w+|insert\s+into\s+\w+|"
        r"update\s+\w+\s+set\s+\w+\s*=|delete\s+from\s+\w+)",
        re.IGNORECASE,
    ),
)
#: Attribute calls that only a connection or an engine answers.
CONNECTION_CALLS = frozenset(
    {"connect", "begin", "begin_nested", "mappings", "scalar_one", "scalars", "raw_connection"}
)


def _is_database_object(value: object) -> bool:
    if isinstance(value, Connection | Engine | Table | ClauseElement):
        return True
    return isinstance(value, type) and (
        issubclass(value, Connection | Engine) or (issubclass(value, SQLModel) and hasattr(value, "__table__"))
    )


def offences(source: str, name: str = "<source>") -> list[str]:
    """What in ``source`` talks to the database: imports, imported tables or clauses, connection calls, SQL text."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in DATABASE_PACKAGES or alias.name.startswith(DATABASE_MODULES):
                    found.append(f"{name}:{node.lineno} imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in DATABASE_PACKAGES or node.module.startswith(DATABASE_MODULES):
                found.append(f"{name}:{node.lineno} imports from {node.module}")
            elif node.module.startswith("workflow"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if _is_database_object(getattr(module, alias.name, None)):
                        found.append(f"{name}:{node.lineno} imports {node.module}.{alias.name}, a database object")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in CONNECTION_CALLS:
                found.append(f"{name}:{node.lineno} calls .{node.func.attr}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and any(p.search(node.value) for p in SQL):
            found.append(f"{name}:{node.lineno} holds SQL: {node.value[:60]!r}")
    return found


@pytest.mark.parametrize("path", sorted(API.rglob("*.py")), ids=lambda p: str(p.relative_to(API.parent)))
def test_no_api_module_touches_the_database(path: Path) -> None:
    assert offences(path.read_text(encoding="utf-8"), str(path.relative_to(API.parent))) == []


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select",
        "import sqlalchemy.orm",
        "from sqlalchemy.exc import IntegrityError",
        "import sqlite3",
        "from workflow.schema.db import read",
        "from workflow.engine.firing import CASE",
        "from workflow.schema.tables import Case",
        "from workflow.registers.contracts import AGREEMENT",
        "def f(engine):\n    with engine.connect() as conn:\n        pass",
        "def f(engine):\n    with engine.begin() as conn:\n        pass",
        "Q = 'SELECT id FROM cases WHERE status = 1'",
        "Q = '''update case\n set status = 'x' '''",
        "Q = 'SELECT 1'",
        "Q = 'insert into access_log values (1)'",
        "Q = 'delete from outbox'",
    ],
)
def test_the_scan_catches_each_way_of_reaching_the_database(source: str) -> None:
    assert offences(source)


@pytest.mark.parametrize(
    "source",
    [
        "from workflow.cases.queries import list_cases",
        "from workflow.engine.commands import FireTrigger",
        "app.execute(command, actor)",
        "doc = 'Select the cases you want to see'",
        "doc = 'one update to the deadline, its status set by the engine'",
    ],
)
def test_the_scan_lets_commands_query_functions_and_prose_through(source: str) -> None:
    assert offences(source) == []
