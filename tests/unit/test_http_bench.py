"""The HTTP benchmark reads wrk's report right and judges each target on its own rows."""

from __future__ import annotations

from benchmarks.http.report import Row, table, verdict
from benchmarks.http.wrk import Result, parse

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/v1/accounts/1
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.07ms    1.10ms  30.10ms   91.25%
    Req/Sec     3.95k   395.77     4.54k    75.00%
  Latency Distribution
     50%  850.00us
     75%    2.20ms
     90%    2.69ms
     99%    1.02s
  78582 requests in 10.01s, 29.90MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:   7852.56
Transfer/sec:      2.99MB
"""


def test_wrk_report_gives_throughput_percentiles_in_ms_and_every_kind_of_error():
    result = parse(WRK_OUTPUT)
    assert result == Result(requests_per_s=7852.56, p50_ms=0.85, p99_ms=1020.0, requests=78582, errors=15)


def test_a_clean_run_has_no_errors():
    clean = WRK_OUTPUT.replace("  Socket errors: connect 0, read 2, write 0, timeout 1\n", "")
    assert parse(clean.replace("  Non-2xx or 3xx responses: 12\n", "")).errors == 0


def test_targets_are_judged_per_connection_count_and_shown_as_ratios():
    reference = Result(1000.0, 1.0, 4.0, 10_000, 0)
    fast_enough = Row(1, "GET /v1/accounts/{id}", 16, reference, Result(900.0, 1.5, 8.0, 9000, 0))
    assert "**met**" in verdict([fast_enough])
    too_slow_at_64 = Row(1, "GET /v1/accounts/{id}", 64, reference, Result(950.0, 1.5, 8.0, 9500, 0))
    assert "**not met**" in verdict([fast_enough, too_slow_at_64])
    assert "| 0.90x |" in table([fast_enough]) and "| 2.00x |" in table([fast_enough])


def test_the_list_the_304_and_the_random_rows_each_get_their_own_verdict():
    reference = Result(1000.0, 1.0, 4.0, 10_000, 0)
    row = Row(1, "GET /v1/accounts/{id}", 16, reference, Result(1000.0, 1.0, 4.0, 10_000, 0))
    slow_list = Row(1, "GET /v1/accounts?limit=100", 16, reference, Result(800.0, 9.0, 9.0, 8000, 0))
    poll = Row(1, "GET /v1/accounts?limit=100 If-None-Match (304 vs full)", 16, reference, reference)
    random = Row(1, "GET /v1/accounts/{random id}", 16, reference, Result(950.0, 1.0, 4.0, 9500, 0))
    said = verdict([row, slow_list, poll, random])
    assert said.startswith("Targets for the single-row GET") and said.count("**met**") == 2
    assert "The list (>= 0.9x the reference's req/s): **not met**" in said
    assert "304 revalidation (>= 2.0x the sidecar's full answer): **not met**" in said
    assert "(the random rows), against the same targets: **met**" in said
