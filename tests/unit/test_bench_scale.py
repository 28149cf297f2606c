"""`./dev bench scale`: sizes as people type them, and one row per case with its ratio at every size."""

from __future__ import annotations

from benchmarks.scale import sizes_of, table


def test_sizes_are_read_as_people_type_them():
    assert sizes_of("100k,1M,10m") == [100_000, 1_000_000, 10_000_000]
    assert sizes_of("2_000,1.5M") == [2_000, 1_500_000]


def test_each_case_shows_its_seconds_and_its_ratio_to_the_baseline_at_every_size():
    sized = {
        1_000: {"read_sql": {"seconds": 2.0, "peak_mb": 10}, "frame": {"seconds": 0.5, "peak_mb": 5}},
        10_000: {"read_sql": {"seconds": 20.0, "peak_mb": 90}, "frame": {"seconds": 2.0, "peak_mb": 30}},
    }
    lines = table(sized).splitlines()
    assert lines[0] == "| case | 1,000 rows | 10,000 rows | peak MB at 10,000 |"
    [frame] = [line for line in lines if "frame()" in line]
    assert "0.50 s (0.25x) | 2.00 s (0.10x) | 30 |" in frame
    [baseline] = [line for line in lines if "read_sql" in line]
    assert "| 2.00 s | 20.00 s | 90 |" in baseline
