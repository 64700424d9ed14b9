"""The migration files: numbered one after another, each number once (parallel branches each
adding a next migration would otherwise both apply as the same version)."""

from __future__ import annotations

from importlib import resources

from services.queue_gate.adapters.postgres.migrator import MIGRATIONS_PACKAGE, available_migrations


def test_migrations_are_numbered_from_one_without_gaps_or_repeats() -> None:
    versions = [migration.version for migration in available_migrations()]
    assert versions == list(range(1, len(versions) + 1))


def test_every_sql_file_is_a_migration() -> None:
    sql_files = {
        entry.name
        for entry in resources.files(MIGRATIONS_PACKAGE).iterdir()
        if entry.name.endswith(".sql")
    }
    assert sql_files == {migration.name for migration in available_migrations()}
