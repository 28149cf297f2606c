"""`qa.metrics` answers what /v1/metrics answers for the same parameters, as typed DataFrames."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pandas as pd
import pytest

from tests.integration.http.test_metrics import backdate_signups
from tests.integration.http.test_metrics_time import AROUND_SPRING_FORWARD, post
from toolkit.errors import ValidationFailed


def http_rows(response) -> list[tuple]:
    assert response.status_code == 200, response.text
    return [
        tuple(datetime.fromisoformat(v) if k == "bucket" else v for k, v in row.items())
        for row in response.json()
    ]


def frame_rows(df: pd.DataFrame) -> list[tuple]:
    def plain(value):
        if isinstance(value, pd.Timestamp):
            return value.to_pydatetime()
        return f"{value:.2f}" if isinstance(value, Decimal) else value

    return [tuple(plain(v) for v in row) for row in df.astype(object).itertuples(index=False)]


async def test_transactions_per_hour_by_kind_in_a_zone_equal_the_http_answer(
    client, read_key, write_key, accounts, qa
):
    ada, bob = accounts[0]["id"], accounts[1]["id"]
    await post(client, write_key, ada, *AROUND_SPRING_FORWARD)
    await post(client, write_key, ada, AROUND_SPRING_FORWARD[2], kind="fee")
    await post(client, write_key, bob, *AROUND_SPRING_FORWARD[:3])
    response = await client.get(
        f"/v1/metrics/transactions?bucket=hour&group_by=kind&tz=Europe/Berlin&account_id=eq.{ada}"
        "&from=2025-03-30T00:00&to=2025-03-30T05:00",
        headers=read_key,
    )
    df = qa.metrics.transactions(
        bucket="hour",
        group_by="kind",
        tz="Europe/Berlin",
        account_id=ada,
        start="2025-03-30T00:00",
        end=datetime(2025, 3, 30, 5),
    )
    assert frame_rows(df) == http_rows(response)
    assert str(df["bucket"].dtype) == "datetime64[us, Europe/Berlin]"
    assert df["bucket"].dt.hour.unique().tolist() == [0, 1, 3, 4, 5]  # 02:00 does not exist that night
    assert isinstance(df["kind"].dtype, pd.CategoricalDtype) and str(df["total"].dtype).startswith("decimal")
    fee = df[(df["kind"] == "fee") & (df["count"] > 0)]
    assert fee["total"].tolist() == [Decimal("-1.00")]


async def test_signups_per_day_with_a_filter_equal_the_http_answer_empty_days_as_zero(
    client, read_key, accounts, database_url, qa
):
    backdate_signups(
        database_url,
        {
            "ada@example.com": "2025-03-01T10:00Z",
            "bob@example.com": "2025-03-01T23:30Z",  # already the 2nd in Berlin
            "cy@example.com": "2025-03-04T00:30Z",
        },
    )
    response = await client.get(
        "/v1/metrics/signups?bucket=day&tz=Europe/Berlin&from=2025-03-01&to=2025-03-05&country=in.(DE,GB)",
        headers=read_key,
    )
    df = qa.metrics.signups(
        bucket="day", tz="Europe/Berlin", start="2025-03-01", end="2025-03-05", country=["DE", "GB"]
    )
    assert frame_rows(df) == http_rows(response)
    assert df["signups"].tolist() == [1, 1, 0, 1, 0] and df["signups"].dtype == "int64"


async def test_account_totals_per_group_equal_the_http_answer(client, read_key, accounts, qa):
    response = await client.get(
        "/v1/metrics/accounts?group_by=country,plan&status=neq.closed", headers=read_key
    )
    from toolkit.models import Account

    df = qa.metrics.accounts(Account.status != "closed", group_by=["country", "plan"])
    assert frame_rows(df) == [tuple(r.values()) for r in response.json()]
    assert isinstance(df["plan"].dtype, pd.CategoricalDtype)


def test_bad_metric_parameters_are_toolkit_errors_naming_them(qa):
    with pytest.raises(ValidationFailed, match="bucket"):
        qa.metrics.signups(bucket="fortnight")
    with pytest.raises(ValidationFailed, match="tz"):
        qa.metrics.signups(tz="Mars/Olympus", start="2025-01-01")
    with pytest.raises(ValidationFailed, match="start"):
        qa.metrics.transactions(start="yesterday")
    with pytest.raises(ValidationFailed, match="shoe_size"):
        qa.metrics.accounts(group_by="shoe_size")
