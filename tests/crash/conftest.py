"""The PostgreSQL fixtures of tests/operations (a throwaway database per test), for the
recovery tests on PostgreSQL (test_recovery_postgres.py)."""

from tests.operations.conftest import _fresh_engines, pg_admin_url, pg_url  # noqa: F401 - fixtures
