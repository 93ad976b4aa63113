"""make bench says how fast the host was (bench/host_speed.py, issue 16 session 11), so a slower
host is not read as slower code."""

from __future__ import annotations

from bench import host_speed, run_all


def test_the_host_speed_probe_times_interpreter_polars_c_and_file_system_work():
    measured = host_speed.measure()

    timings = {"python_loop_s", "polars_group_by_s", "sha256_s", "file_create_s", "first_touch_gib_s"}
    assert set(measured) == timings | {"cpu"}
    assert all(isinstance(measured[k], float) and measured[k] > 0 for k in timings)
    assert "family" in str(measured["cpu"])  # which processor generation ran the bench (session 18)


def test_the_file_creation_probe_leaves_nothing_behind_in_the_folder_it_was_given(tmp_path):
    seconds = host_speed.file_create_seconds(tmp_path, repeat=2)

    assert seconds > 0
    assert list(tmp_path.iterdir()) == []


def test_the_benchmark_page_names_the_file_creation_figure_when_the_bench_measured_it():
    host = {"python_loop_s": 0.41, "polars_group_by_s": 0.27, "sha256_s": 0.52}

    assert "letter-sized files created 1.25 s" in run_all.host_line(host | {"file_create_s": 1.25})
    assert "files created" not in run_all.host_line(host)  # an older bench's saved results


def test_the_benchmark_page_names_each_host_figure_beside_the_engines():
    line = run_all.host_line({"python_loop_s": 0.41, "polars_group_by_s": 0.27, "sha256_s": 0.52})

    assert "Python loop 0.41 s" in line
    assert "Polars group-by 0.27 s" in line
    assert "SHA-256 of 256 MiB 0.52 s" in line


def test_the_benchmark_page_names_the_processor_and_new_memorys_cost_when_measured():
    host = {"python_loop_s": 0.41, "polars_group_by_s": 0.27, "sha256_s": 0.52}
    line = run_all.host_line(host | {"first_touch_gib_s": 1.67, "cpu": "AMD EPYC, family 23 model 1, 1996 MHz"})

    assert "1 GiB of new memory first written 1.67 s" in line
    assert "processor AMD EPYC, family 23 model 1, 1996 MHz" in line
    assert "processor" not in run_all.host_line(host)  # an older bench's saved results
