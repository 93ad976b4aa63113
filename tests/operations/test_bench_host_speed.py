"""make bench says how fast the host was (bench/host_speed.py, issue 16 session 11), so a slower
host is not read as slower code."""

from __future__ import annotations

from bench import host_speed, run_all


def test_the_host_speed_probe_times_interpreter_polars_and_c_work():
    measured = host_speed.measure()

    assert set(measured) == {"python_loop_s", "polars_group_by_s", "sha256_s"}
    assert all(isinstance(v, float) and v > 0 for v in measured.values())


def test_the_benchmark_page_names_each_host_figure_beside_the_engines():
    line = run_all.host_line({"python_loop_s": 0.41, "polars_group_by_s": 0.27, "sha256_s": 0.52})

    assert "Python loop 0.41 s" in line
    assert "Polars group-by 0.27 s" in line
    assert "SHA-256 of 256 MiB 0.52 s" in line
