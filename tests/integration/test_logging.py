from __future__ import annotations

import logging

import pytest

from tests.conftest import url_with_password
from toolkit.errors import DatabaseUnavailable
from toolkit.services import AccountService
from toolkit.settings import Settings
from toolkit.wiring import create_container

SECRET = "n0t-in-any-log-9f3"


async def test_no_password_in_any_log_line_or_error(database_url, caplog: pytest.LogCaptureFixture, tmp_path):
    # The embedded server trusts local connections, so a URL with a password still connects.
    settings = Settings(database_url=url_with_password(database_url, SECRET), home=tmp_path)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    container = create_container(settings)
    try:
        async with container.enter_scope() as scope:
            service = await scope.get(AccountService)
            await service.create({"email": "x@example.com", "full_name": "X", "country": "FR"}, actor="t")
            assert SECRET not in repr(service.uow.database)
    finally:
        await container.close()
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert caplog.records, "expected the engine to log"
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert SECRET not in repr(settings)


async def test_unreachable_database_error_names_it_with_the_password_masked(tmp_path):
    from toolkit.db import Database

    url = f"postgresql://qa:{SECRET}@127.0.0.1:1/nowhere"
    db = Database(Settings.load(environ={"QUEACCOUNT_DATABASE_URL": url}, env_file=None, home=tmp_path))
    try:
        async with db.engine.connect():
            pytest.fail("connected to a closed port")
    except Exception as error:  # the raw driver error, turned into the toolkit's
        message = str(db.unavailable(error))
    finally:
        await db.dispose()
    assert isinstance(db.unavailable(RuntimeError("x")), DatabaseUnavailable)
    assert "127.0.0.1:1/nowhere" in message and "***" in message and SECRET not in message
