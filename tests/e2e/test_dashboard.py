"""`/dashboard` as a person opens it, in headless Chromium against a real `serve` with sample data: the read
key given once in the address is kept in the browser, the charts are drawn from the API's answers, it polls
(with If-None-Match once it has an ETag), and the page logs nothing to its console."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import httpx
import pytest

from tests.e2e.browser import artifact, visit
from tests.e2e.test_serve import Server, serving
from tests.integration.http.conftest import make_key
from toolkit.services import SampleDataService, TransactionService


@pytest.fixture
def sidecar(database_url) -> Iterator[Server]:
    yield from serving(database_url)


@pytest.fixture
async def secret(sidecar, container) -> str:
    async with container.enter_scope() as scope:
        await (await scope.get(SampleDataService)).load_if_empty(accounts=300, transactions=3000)
    return await make_key(container, "wallboard", "read")


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def chart(dom: str, name: str) -> str:
    match = re.search(rf'<div id="{name}" class="chart">(.*?)</div>', dom, re.S)
    assert match is not None, f"no {name} chart in the page"
    return match.group(1)


def test_the_dashboard_draws_its_charts_and_polls(sidecar, secret):
    seen = visit(f"{sidecar.base}/dashboard?every=4#key={secret}", budget_ms=10_000)
    assert seen.console == [] and seen.outside == []
    assert len(re.findall(r'<rect [^>]*class="column"', chart(seen.dom, "signups"))) > 100
    assert len(re.findall(r'class="segment"', chart(seen.dom, "accounts"))) >= 6  # 3 plans, 3 statuses
    points = re.search(r'<polyline points="([^"]+)"', chart(seen.dom, "balance"))
    assert points is not None and len(points.group(1).split()) > 100
    assert len(re.findall(r"<tr><td>", seen.dom)) == 10  # the latest transactions
    assert secret not in seen.dom and "paste a read key" not in seen.dom
    counted = re.search(r"refreshes: (\d+)", seen.dom)
    assert counted is not None
    refreshes = int(counted.group(1))
    assert refreshes >= 2
    first = httpx.get(f"{sidecar.base}/v1/metrics/signups?bucket=day", headers=bearer(secret))
    tagged = "etag" in first.headers
    log = sidecar.stop()
    assert len(re.findall(r"GET /v1/metrics/signups (200|304) .* key=wallboard", log)) >= refreshes
    if tagged:  # an answer with an ETag is asked again with If-None-Match, and unchanged it is a 304
        assert re.search(r"GET /v1/metrics/signups 304 .* key=wallboard", log)
        assert not re.search(r"unchanged \(304\): 0 of", seen.dom)


async def test_years_of_postings_and_outlandish_dates_are_drawn_by_week_not_refused(
    sidecar, secret, container
):
    # The sample signups and postings span 2025 to now: by day. A posting of 2019 makes the span more than
    # 1000 days, which the API refuses by day (as it would refuse the first dashboard of a business three
    # years old); postings dated in the years 1 and 9999 stretch an unbounded span to thousands of years.
    async with httpx.AsyncClient(base_url=sidecar.base, headers=bearer(secret)) as client:
        [account] = (await client.get("/v1/accounts?limit=1&select=id")).json()
    async with container.enter_scope() as scope:
        posting = await scope.get(TransactionService)
        for when in ("2019-06-01T12:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
            await posting.post(
                {"account_id": account["id"], "kind": "deposit", "amount": "1.00", "occurred_at": when},
                actor="test",
            )
    seen = visit(f"{sidecar.base}/dashboard#key={secret}", budget_ms=6000)
    assert seen.console == [] and "could not refresh" not in seen.dom
    assert "Signups per week" in seen.dom
    weeks = len(re.findall(r'<rect [^>]*class="column"', chart(seen.dom, "signups")))
    since = (datetime.now(UTC).date() - date(2019, 6, 1)).days
    assert since // 7 <= weeks <= since // 7 + 2  # 2019-06-01 to today, not the years 1 to 9999
    points = re.search(r'<polyline points="([^"]+)"', chart(seen.dom, "balance"))
    assert points is not None and len(points.group(1).split()) == weeks
    assert 'aria-label="total balance at the end of each week"' in seen.dom


def test_without_a_key_the_dashboard_asks_for_one(sidecar, database_url):
    seen = visit(f"{sidecar.base}/dashboard", budget_ms=2000)
    assert "paste a read key to start" in seen.dom and seen.console == []
    assert re.search(r'<main id="panels" hidden', seen.dom)


def test_a_refused_key_is_said_and_asked_for_again(sidecar, database_url):
    seen = visit(f"{sidecar.base}/dashboard#key=qa_not-a-real-key", budget_ms=3000)
    assert "the key was refused: the API key is unknown or revoked" in seen.dom
    assert re.search(r'<form id="key-form">', seen.dom) and "qa_not-a-real-key" not in seen.dom


def test_a_screenshot_of_the_dashboard_is_kept(sidecar, secret):
    picture = artifact("dashboard.png")
    page = f"{sidecar.base}/dashboard#key={secret}"
    seen = visit(page, screenshot=picture, budget_ms=5000, size="1280,1000")
    assert seen.console == [] and picture.stat().st_size > 30_000
    print(f"screenshot: {picture}")
