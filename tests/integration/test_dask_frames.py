"""to_dask(): id-range partitions of frame()'s read, on one exported snapshot, run by a real Dask cluster."""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from tests.conftest import admin_rows, libpq
from toolkit.frames.snapshots import HOLDER, PartitionRead, SnapshotReleased
from toolkit.models import Account

distributed = pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two in-process workers (threads: quick to start, tasks still pickled to run)."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture
def many(seeded):
    """The five seeded accounts and 45 more, so eight partitions have rows to split."""
    seeded.accounts.insert_frame(
        pd.DataFrame(
            {
                "email": [f"more{i}@example.com" for i in range(45)],
                "full_name": [f"More {i}" for i in range(45)],
                "country": ["DE", "FR", "NL"] * 15,
                "plan": ["free", "pro", "business", "pro", "free"] * 9,
            }
        )
    )
    return seeded


def holders(url) -> int:
    """Open transactions that hold a Dask frame's snapshot."""
    sql = "select count(*) from pg_stat_activity where application_name = '%s' and xact_start is not null"
    return int(admin_rows(url, sql % HOLDER)[0][0])


def test_a_dask_frame_equals_frame_cell_by_cell_and_dtype_by_dtype(many, client):
    ddf = many.accounts.to_dask(npartitions=8)
    assert ddf.npartitions == 8 and ddf.known_divisions and ddf.divisions[0] == 1 and ddf.divisions[-1] == 50
    pd.testing.assert_frame_equal(ddf.compute().reset_index(), many.accounts.frame(), check_exact=True)


def test_divisions_from_a_sample_still_read_every_row_once(many, client, database_url, monkeypatch):
    """Above SAMPLED_ROWS the quantiles come from a block sample: they only balance the partitions."""
    from toolkit.frames import dask as frames

    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        conn.execute("analyze accounts")  # the planner's row estimate decides whether to sample
    monkeypatch.setattr(frames, "SAMPLED_ROWS", 5)
    ddf = many.accounts.to_dask(npartitions=4, plan=["pro", "business"])
    assert ddf.known_divisions and ddf.divisions[0] == 2 and ddf.divisions[-1] == 49
    expected = many.accounts.frame(plan=["pro", "business"])
    pd.testing.assert_frame_equal(ddf.compute().reset_index(), expected, check_exact=True)


def test_filters_and_columns_are_those_of_frame(many, client):
    filters = (Account.balance > 0,)
    ddf = many.accounts.to_dask(*filters, npartitions=3, columns=["email", "plan"], country=["DE", "FR"])
    expected = many.accounts.frame(*filters, columns=["id", "email", "plan"], country=["DE", "FR"])
    got = ddf.compute()
    assert list(got.columns) == ["email", "plan"] and got.index.name == "id"
    pd.testing.assert_frame_equal(got.reset_index(), expected, check_exact=True)
    assert many.accounts.to_dask(email="nobody@example.com").compute().empty


def test_a_dask_answer_is_the_frame_answer(many, client):
    with many.accounts.to_dask(npartitions=4) as ddf:
        by_plan = ddf.groupby("plan", observed=True)["balance"].sum().compute()
        opened = ddf[ddf.status == "active"].shape[0].compute()
    frame = many.accounts.frame()
    assert by_plan.sort_index().equals(frame.groupby("plan", observed=True)["balance"].sum().sort_index())
    assert opened == int((frame.status == "active").sum())


def test_rows_come_in_id_order_within_each_partition_as_in_frame(many, client, database_url):
    """An updated row moves to the end of the heap: each partition is still in id order, as frame() is."""
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        conn.execute(
            "update accounts set full_name = full_name || ' Jr.', version = version + 1 where id < 5"
        )
    ddf = many.accounts.to_dask(npartitions=2, plan=["free", "pro"])
    got = ddf.compute()
    assert got.index.is_monotonic_increasing and got.loc[1, "full_name"] == "Ada Jr."
    pd.testing.assert_frame_equal(got.reset_index(), many.accounts.frame(plan=["free", "pro"]))


def test_every_resource_has_it_json_included(many, client):
    """The audit log's JSON changes come back as frame() gives them (dicts), not as their text."""
    audit = many.audit.to_dask(npartitions=2).compute()
    assert isinstance(audit["changes"].dropna().iloc[0], dict)
    pd.testing.assert_frame_equal(audit.reset_index(), many.audit.frame(), check_exact=True)
    transactions = many.transactions.to_dask(npartitions=2, kind="deposit").compute()
    pd.testing.assert_frame_equal(transactions.reset_index(), many.transactions.frame(kind="deposit"))


def test_rows_committed_after_the_snapshot_are_not_seen(many, client, database_url):
    ddf = many.accounts.to_dask(npartitions=4)
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        conn.execute("update accounts set full_name = 'Changed', version = version + 1 where id = 5")
        conn.execute(
            "insert into accounts (email, full_name, country) values ('late@example.com', 'L', 'DE')"
        )
    got = ddf.compute()
    assert got.loc[5, "full_name"] == "Ed" and len(got) == 50 and "late@example.com" not in set(got.email)
    after = many.accounts.to_dask().compute()
    assert after.loc[5, "full_name"] == "Changed" and len(after) == 51


def test_the_snapshot_is_released_after_compute_and_when_the_frame_is_dropped(many, client, database_url):
    ddf = many.accounts.to_dask(npartitions=2)
    assert holders(database_url) == 1
    ddf.compute()
    assert holders(database_url) == 0
    with pytest.raises(SnapshotReleased, match="call to_dask\\(\\) again"):
        ddf.compute()
    dropped = many.accounts.to_dask(npartitions=2)
    assert holders(database_url) == 1
    del dropped
    gc.collect()
    assert holders(database_url) == 0
    held = many.accounts.to_dask()
    persisted = held.persist()  # every partition is read: the snapshot is no longer needed
    assert holders(database_url) == 0 and len(persisted) == 50
    with many.accounts.to_dask() as block:
        assert len(block) == 50 and holders(database_url) == 1
    assert holders(database_url) == 0


def test_tasks_are_picklable_and_never_show_the_url(many, client, database_url):
    ddf = many.accounts.to_dask(npartitions=2)
    [read] = {
        a for task in ddf.dask.values() for a in getattr(task, "args", ()) if isinstance(a, PartitionRead)
    }
    assert pickle.loads(pickle.dumps(read)).snapshot == read.snapshot
    assert "postgresql://" not in repr(read) and "queaccount_reader" in read.conninfo
    ddf.release()
    assert holders(database_url) == 0


def test_a_remote_scheduler_given_by_address_runs_it(many, tmp_path):
    """`dask scheduler` and `dask worker` as processes of their own, on loopback, through Client(address)."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent))
    assert dask is not None
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    address_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(address_file)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        worker = subprocess.Popen(
            [dask, "worker", "--scheduler-file", str(address_file), "--nthreads", "1", "--no-dashboard",
             "--host", "127.0.0.1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        with distributed.Client(scheduler_file=str(address_file), timeout=60) as remote:
            remote.wait_for_workers(1, timeout=60)
            address = remote.scheduler.address
            assert address.startswith("tcp://127.0.0.1:")
            got = many.accounts.to_dask(npartitions=3).compute()
            ran = remote.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
        assert any(name.startswith("queaccount") for name in ran), ran  # the partitions ran there
        pd.testing.assert_frame_equal(got.reset_index(), many.accounts.frame(), check_exact=True)
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
