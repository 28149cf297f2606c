"""Metrics with time as dashboards send it: epoch ms and s, IANA zones across DST changes, hours, filters."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from tests.integration.http.test_metrics import backdate_signups

BERLIN = ZoneInfo("Europe/Berlin")
AROUND_SPRING_FORWARD = [  # Berlin's clocks went from 02:00 CET to 03:00 CEST on 2025-03-30 (01:00 UTC)
    datetime(2025, 3, 29, 22, 30, tzinfo=UTC),  # 23:30 CET, the 29th
    datetime(2025, 3, 29, 23, 30, tzinfo=UTC),  # 00:30 CET, the 30th
    datetime(2025, 3, 30, 0, 30, tzinfo=UTC),  # 01:30 CET
    datetime(2025, 3, 30, 1, 30, tzinfo=UTC),  # 03:30 CEST
    datetime(2025, 3, 30, 21, 59, tzinfo=UTC),  # 23:59 CEST, still the 30th
    datetime(2025, 3, 30, 22, 0, tzinfo=UTC),  # 00:00 CEST, the 31st
]


async def post(client, write_key, account_id: int, *moments: datetime, kind: str = "deposit") -> None:
    amount = "-1" if kind == "fee" else "10"
    rows = [
        {"account_id": account_id, "kind": kind, "amount": amount, "occurred_at": m.isoformat()}
        for m in moments
    ]
    response = await client.post("/v1/transactions", headers=write_key, json=rows)
    assert response.status_code == 201, response.text


def counts(response) -> dict[datetime, int]:
    assert response.status_code == 200, response.text
    return {datetime.fromisoformat(r["bucket"]): r.get("count", r.get("signups")) for r in response.json()}


async def test_days_in_a_zone_start_at_its_midnight_and_the_spring_forward_day_has_23_hours(
    client, read_key, write_key, accounts
):
    await post(client, write_key, accounts[0]["id"], *AROUND_SPRING_FORWARD)
    response = await client.get(
        "/v1/metrics/transactions?bucket=day&from=2025-03-29&to=2025-03-31&tz=Europe/Berlin", headers=read_key
    )
    assert [r["bucket"] for r in response.json()] == [
        "2025-03-29T00:00:00+01:00",
        "2025-03-30T00:00:00+01:00",
        "2025-03-31T00:00:00+02:00",
    ]
    local_days = Counter(
        datetime.combine(m.astimezone(BERLIN).date(), time(), BERLIN) for m in AROUND_SPRING_FORWARD
    )
    assert (
        counts(response)
        == dict(local_days)
        == {
            datetime(2025, 3, 29, tzinfo=BERLIN): 1,
            datetime(2025, 3, 30, tzinfo=BERLIN): 4,
            datetime(2025, 3, 31, tzinfo=BERLIN): 1,
        }
    )
    starts = list(counts(response))
    assert starts[2] - starts[1] == timedelta(hours=23)
    in_utc = await client.get(
        "/v1/metrics/transactions?bucket=day&from=2025-03-29&to=2025-03-31", headers=read_key
    )
    assert list(counts(in_utc).values()) == [2, 4, 0]


async def test_hours_in_a_zone_skip_the_hour_the_clocks_jump_and_repeat_none(
    client, read_key, write_key, accounts
):
    await post(client, write_key, accounts[0]["id"], *AROUND_SPRING_FORWARD)
    response = await client.get(
        "/v1/metrics/transactions?bucket=hour&from=2025-03-30T00:00&to=2025-03-30T04:00&tz=Europe/Berlin",
        headers=read_key,
    )
    assert [r["bucket"][11:] for r in response.json()] == [
        "00:00:00+01:00",
        "01:00:00+01:00",
        "03:00:00+02:00",
        "04:00:00+02:00",
    ]
    local_hours = Counter(m.astimezone(BERLIN).replace(minute=0) for m in AROUND_SPRING_FORWARD)
    assert {k: v for k, v in counts(response).items() if v} == {
        k: v for k, v in local_hours.items() if k.date() == datetime(2025, 3, 30).date() and k.hour <= 4
    }
    autumn = await client.get(
        "/v1/metrics/signups?bucket=hour&from=2025-10-26T00:00&to=2025-10-26T23:00&tz=Europe/Berlin",
        headers=read_key,
    )
    starts = list(counts(autumn))
    assert len(starts) == 25 and all(b - a == timedelta(hours=1) for a, b in pairwise(starts))


async def test_epoch_milliseconds_seconds_and_iso_give_the_same_answer(client, read_key, write_key, accounts):
    await post(client, write_key, accounts[0]["id"], *AROUND_SPRING_FORWARD)
    first, last = datetime(2025, 3, 29, tzinfo=BERLIN), datetime(2025, 3, 31, 23, 59, 59, tzinfo=BERLIN)
    forms = [
        (first.isoformat(), last.isoformat()),
        (str(int(first.timestamp() * 1000)), str(int(last.timestamp() * 1000))),
        (str(int(first.timestamp())), str(int(last.timestamp()))),
        ("2025-03-29", "2025-03-31T23:59:59"),  # read in tz: they name no offset
    ]
    answers = []
    for start, end in forms:
        url = f"/v1/metrics/transactions?bucket=day&group_by=kind&tz=Europe/Berlin&from={start}&to={end}"
        response = await client.get(url.replace("+", "%2B"), headers=read_key)
        assert response.status_code == 200, (start, response.text)
        answers.append(response.json())
    assert all(a == answers[0] for a in answers) and len(answers[0]) == 3 * 5
    ms = int(datetime(2025, 3, 30, tzinfo=UTC).timestamp() * 1000)
    filtered = await client.get(f"/v1/transactions?occurred_at=gte.{ms}&select=occurred_at", headers=read_key)
    iso = await client.get("/v1/transactions?occurred_at=gte.2025-03-30&select=occurred_at", headers=read_key)
    assert len(filtered.json()) == 4 and filtered.json() == iso.json()


async def test_filters_narrow_every_metrics_route(client, read_key, write_key, accounts, database_url):
    ada, bob = accounts[0]["id"], accounts[1]["id"]
    await post(client, write_key, ada, *AROUND_SPRING_FORWARD[:2])
    await post(client, write_key, bob, AROUND_SPRING_FORWARD[0])
    await post(client, write_key, bob, AROUND_SPRING_FORWARD[0], kind="fee")
    base = "/v1/metrics/transactions?bucket=day&from=2025-03-29&to=2025-03-29"
    assert [r["count"] for r in (await client.get(base, headers=read_key)).json()] == [4]
    only_ada = (await client.get(f"{base}&account_id=eq.{ada}", headers=read_key)).json()
    assert [(r["count"], r["total"]) for r in only_ada] == [(2, "20.00")]
    kinds = await client.get(f"{base}&group_by=kind&account_id=eq.{bob}&kind=neq.fee", headers=read_key)
    assert {r["kind"]: r["count"] for r in kinds.json() if r["count"]} == {"deposit": 1}
    backdate_signups(database_url, {a["email"]: "2025-03-01T10:00Z" for a in accounts})
    signups = "/v1/metrics/signups?bucket=month&from=2025-03-01&to=2025-03-01"
    assert (await client.get(signups, headers=read_key)).json()[0]["signups"] == 5
    pro = await client.get(f"{signups}&plan=eq.pro&status=neq.closed", headers=read_key)
    assert pro.json() == [{"bucket": "2025-03-01T00:00:00Z", "signups": 1}]


async def test_bad_times_zones_and_filters_are_400s_that_name_the_parameter(client, read_key, accounts):
    cases = {
        "/v1/metrics/signups?tz=Mars/Olympus_Mons": "tz=Mars/Olympus_Mons: ",
        "/v1/metrics/signups?tz=../../etc/passwd": "tz=../../etc/passwd: ",
        "/v1/metrics/signups?from=yesterday": "from=yesterday: not a time",
        "/v1/metrics/signups?to=99999999999999999": "to=99999999999999999: not a time",
        "/v1/metrics/transactions?from=9999999999999999": "from=9999999999999999: not a time",
        "/v1/metrics/transactions?bucket=month&from=9999-01-01&to=9999-12-31": "from and to must stay within",
        "/v1/metrics/signups?from=0001-01-01T00:00Z&tz=America/New_York": "from and to must stay within",
        "/v1/metrics/transactions?bucket=minute": "bucket=minute: not one of hour, day, week, month",
        "/v1/metrics/transactions?group_by=account_id": "group_by=account_id: not one of kind",
        "/v1/metrics/transactions?shoe_size=eq.9": "/v1/metrics/transactions takes no parameter 'shoe_size'",
        "/v1/metrics/transactions?account_id=zz.1": "account_id=zz.1: unknown operator 'zz'",
        "/v1/metrics/signups?created_at=gte.tomorrow": "created_at: 'tomorrow' is not a valid datetime",
    }
    for url, message in cases.items():
        response = await client.get(url, headers=read_key)
        assert response.status_code == 400, (url, response.text)
        assert response.json()["message"].startswith(message), (url, response.json())
        assert "nothing was written" not in response.json()["message"]
    hint = (await client.get("/v1/metrics/signups?from=yesterday", headers=read_key)).json()["hint"]
    assert "ISO" in hint and "epoch seconds or milliseconds" in hint
    huge = await client.get("/v1/accounts?created_at=gte.99999999999999999999", headers=read_key)
    assert huge.status_code == 400
