from __future__ import annotations

import warnings

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import toolkit
from tests.conftest import url_with_password
from toolkit import migrations
from toolkit.errors import DatabaseError


@pytest.fixture
def shell(seeded):
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "toolkit")
    yield ip
    InteractiveShell.clear_instance()


def test_qa_sql_binds_notebook_variables_and_stores_the_frame(shell):
    shell.user_ns["country"] = "DE"
    frame = shell.run_cell_magic(
        "qa_sql", "-o out", "select id from accounts where country = :country order by id"
    )
    assert frame["id"].tolist() == [1, 2]
    assert shell.user_ns["out"] is frame


def test_qa_sql_is_read_only_unless_write(shell, seeded):
    result = shell.run_cell("%%qa_sql\nupdate accounts set plan = 'pro'")
    assert not result.success or result.error_in_exec is not None
    assert seeded.accounts.frame(plan="pro")["id"].tolist() == [2, 4]
    shell.run_cell_magic("qa_sql", "--write", "update accounts set plan = 'pro' where id = 1")
    assert seeded.accounts.get(1).plan == "pro"


def test_qa_sql_names_a_missing_variable(shell):
    with pytest.raises(UsageError, match=":nowhere is not a variable"):
        shell.run_cell_magic("qa_sql", "", "select :nowhere")


def test_qa_sql_binds_no_variable_for_a_colon_inside_a_string_or_comment(shell):
    shell.user_ns["plan"] = "a notebook variable the statement does not use"
    frame = shell.run_cell_magic(
        "qa_sql", "", "select count(*) as n from accounts where email not like '% :plan%' -- :plan\n"
    )
    assert frame["n"].tolist() == [5]
    del shell.user_ns["plan"]
    frame = shell.run_cell_magic("qa_sql", "", "select ' :nowhere' as said")
    assert frame["said"].tolist() == [" :nowhere"]


@pytest.mark.parametrize(
    ("line", "said"),
    [("bogus", "unknown action 'bogus'; use one of upgrade"), ("downgrade", "needs a revision, e.g. -1")],
)
def test_qa_migrate_with_a_bad_action_shows_one_line_not_a_traceback(shell, line, said, capsys):
    capsys.readouterr()
    shell.run_cell(f"%qa_migrate {line}")
    printed = capsys.readouterr()
    shown = (printed.out + printed.err).strip()
    assert shown.startswith("UsageError: ") and said in shown and "Traceback" not in shown


def test_qa_migrate_and_qa_schema(shell):
    status = shell.run_line_magic("qa_migrate", "")
    assert status["applied"].all() and status["head"].iloc[-1]
    current = shell.run_line_magic("qa_migrate", "current")
    assert current == migrations.heads()
    assert "revision" in current._repr_html_() and migrations.history()[-1].message in repr(current)
    drift = shell.run_line_magic("qa_migrate", "check")
    assert drift == [] and repr(drift) == "no drift: the database matches the models"
    history = shell.run_line_magic("qa_migrate", "history")
    assert [r.revision for r in history] == [r.revision for r in migrations.history()]
    assert repr(history).splitlines()[0].split() == ["revision", "after", "message"]
    assert "<table" in history._repr_html_() and "Revision(" not in repr(history)
    schema = shell.run_line_magic("qa_schema", "")
    assert 'data-table="accounts"' in schema._repr_svg_() and "<script" not in schema._repr_svg_()
    assert "accounts ||--o{ transactions" in repr(schema)


def test_credentials_never_appear_in_cell_output(database_url, capsys):
    secret = "cell-out-secret-42"
    qa = toolkit.connect(url_with_password(database_url, secret), progress=False)
    try:
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "toolkit")
        ip.run_cell("qa = __import__('toolkit.notebook.facade').notebook.facade.current(); qa")
        ip.run_cell("%qa_migrate status")
        ip.run_cell("%%qa_sql\nselect * from nowhere_table")
        out = capsys.readouterr()
        assert secret not in out.out + out.err
        assert secret not in repr(qa)
    finally:
        qa.close()
        InteractiveShell.clear_instance()


def test_writes_warn_when_the_database_is_behind_head(make_database):
    url = make_database("qa_behind")
    migrations.upgrade(url=url)
    with toolkit.connect(url, progress=False) as qa:
        assert qa.migrations.status()["applied"].all()
        qa.migrations.downgrade("base")
        assert not qa.migrations.status()["applied"].any()
        qa.migrations.upgrade()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            qa.accounts.create(email="w@example.com", full_name="W", country="DE")
        assert not [w for w in caught if "behind head" in str(w.message)]
    fresh = make_database("qa_empty_behind")
    with (
        toolkit.connect(fresh, progress=False) as qa,
        pytest.warns(UserWarning, match="behind head"),
        pytest.raises(DatabaseError, match="accounts"),  # the table does not exist yet
    ):
        qa.accounts.create(email="w@example.com", full_name="W", country="DE")
