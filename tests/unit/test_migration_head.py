"""The schema's newest revision as the code knows it is the one head of the migration scripts."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from workflow.schema.migrate import HEAD, MIGRATIONS


def test_the_known_head_is_the_one_head_of_the_migration_scripts() -> None:
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    assert heads == [HEAD], f"set workflow.schema.migrate.HEAD to the new head ({heads})"
