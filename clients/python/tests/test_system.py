"""System metrics: the /proc readers, the nvidia-smi parser, the sampler, and Run(system_metrics=...)."""

import math
import os
import stat
import time

import pytest

import labrun.system as system
from conftest import read_lines
from labrun import InvalidArgumentError, Run

on_linux = pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="needs /proc")

MACHINE_FIELDS = {
    "cpu_percent",
    "mem_used_mb",
    "mem_percent",
    "disk_read_mb_s",
    "disk_write_mb_s",
    "disk_used_percent",
    "net_rx_mb_s",
    "net_tx_mb_s",
}
PROCESS_FIELDS = {"proc_cpu_percent", "proc_rss_mb"}
PERCENT_FIELDS = {"cpu_percent", "mem_percent", "disk_used_percent"}


def busy(seconds):
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    return n


def fake_nvidia_smi(tmp_path, monkeypatch, script):
    """Puts an executable `nvidia-smi` running `script` (sh) first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    program = bin_dir / "nvidia-smi"
    program.write_text("#!/bin/sh\n" + script + "\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


def no_nvidia_smi(monkeypatch):
    monkeypatch.setattr(system.shutil, "which", lambda name: None)


# ---------------------------------------------------------------------------------- readers


@on_linux
def test_proc_readers_read_the_real_files():
    busy_ticks, total = system.parse_proc_stat(system.read_text("/proc/stat"))
    assert 0 < busy_ticks < total
    mem_total, available = system.parse_meminfo(system.read_text("/proc/meminfo"))
    assert 0 < available <= mem_total
    read, written = system.parse_diskstats(system.read_text("/proc/diskstats"))
    assert read >= 0 and written >= 0
    received, sent = system.parse_net_dev(system.read_text("/proc/net/dev"))
    assert received >= 0 and sent >= 0
    assert system.process_rss_bytes() > 1_000_000
    assert 0 < system.disk_used_percent("/") <= 100


def test_parsers_on_fixed_text():
    assert system.parse_proc_stat("cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 1 2 3 4\n") == (160, 1000)
    assert system.parse_proc_stat("intr 1 2 3\n") is None
    assert system.parse_meminfo("MemTotal:  1000 kB\nMemFree: 10 kB\nMemAvailable:   250 kB\n") == (1024000, 256000)
    assert system.parse_meminfo("MemTotal:  1000 kB\n") is None
    diskstats = (
        "   8       0 sda 10 0 100 0 20 0 200 0 0 0 0\n"
        "   8       1 sda1 10 0 100 0 20 0 200 0 0 0 0\n"  # a partition: counted in sda already
        "   7       0 loop0 10 0 999 0 20 0 999 0 0 0 0\n"
        " 259       0 nvme0n1 1 0 4 0 2 0 8 0 0 0 0\n"
        " 259       1 nvme0n1p1 1 0 4 0 2 0 8 0 0 0 0\n"
    )
    assert system.parse_diskstats(diskstats) == ((100 + 4) * 512, (200 + 8) * 512)
    net_dev = (
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
        "    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0\n"
        "  eth0: 1000   20463    0    0    0     0          0         0  300   11754    0    0    0     0       0          0\n"
        "  wlan0:500 1 0 0 0 0 0 0 20 1 0 0 0 0 0 0\n"
    )
    assert system.parse_net_dev(net_dev) == (1500, 320)


def test_parse_nvidia_smi_output():
    output = "0, 45, 1024, 16384\n1, 100, 81000, 81920\n\n2, [N/A], [N/A], 16384\nNVIDIA-SMI has failed\n"
    gpus = system.parse_nvidia_smi(output)
    assert gpus == [
        system.GpuReading(0, 45.0, 1024.0, 16384.0),
        system.GpuReading(1, 100.0, 81000.0, 81920.0),
    ]
    assert system.parse_nvidia_smi("") == []


# ---------------------------------------------------------------------------------- sampler


@on_linux
def test_sampler_fields_and_busy_cpu(tmp_path, monkeypatch):
    no_nvidia_smi(monkeypatch)
    sampler = system.SystemSampler(str(tmp_path))
    assert sampler.sample() is None  # the baseline
    busy(0.6)
    record = sampler.sample()
    assert set(record) == MACHINE_FIELDS | PROCESS_FIELDS
    for name, value in record.items():
        assert isinstance(value, float) and math.isfinite(value) and value >= 0, name
    for name in PERCENT_FIELDS:
        assert record[name] <= 100.0001, name
    # One busy core (shared with whatever else runs here): this process well above idle, and the machine.
    cpus = sum(1 for line in system.read_text("/proc/stat").splitlines() if line[:3] == "cpu" and line[3:4].isdigit())
    assert record["proc_cpu_percent"] > 10
    assert record["cpu_percent"] > min(10.0, 40.0 / cpus)
    assert record["proc_rss_mb"] > 1
    assert sampler.errors == [] and sampler.error_count == 0


def test_sampler_without_proc_keeps_what_it_can(tmp_path, monkeypatch):
    no_nvidia_smi(monkeypatch)
    monkeypatch.setattr(system, "read_text", lambda path: None)  # as off Linux
    sampler = system.SystemSampler(str(tmp_path))
    assert sampler.sample() is None
    busy(0.2)
    record = sampler.sample()
    expected = {"proc_cpu_percent"} | ({"disk_used_percent"} if hasattr(os, "statvfs") else set())
    assert set(record) == expected
    assert sampler.error_count == 0


def test_sampler_errors_are_counted_not_raised(tmp_path, monkeypatch):
    no_nvidia_smi(monkeypatch)

    def denied(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(system, "read_text", denied)
    monkeypatch.setattr(system, "disk_used_percent", lambda path: 1 / 0)
    sampler = system.SystemSampler(str(tmp_path))
    assert sampler.sample() is None
    record = sampler.sample()
    assert set(record) == {"proc_cpu_percent"}
    assert sampler.error_count == 3 + 3 + 1 + 1 + 1  # counters twice, meminfo, disk, rss
    assert len(sampler.errors) == sampler.error_count
    for _ in range(5):
        sampler.sample()
    assert len(sampler.errors) == system.MAX_KEPT_ERRORS and sampler.error_count > system.MAX_KEPT_ERRORS


def test_sampler_reads_gpus_from_nvidia_smi(tmp_path, monkeypatch):
    fake_nvidia_smi(
        tmp_path,
        monkeypatch,
        'case "$*" in *--query-gpu=index,utilization.gpu,memory.used,memory.total*--format=csv,noheader,nounits*) ;;'
        ' *) echo "bad arguments: $*" >&2; exit 2 ;; esac\n'
        'printf "0, 30, 4000, 16000\\n1, 90, 8000, 0\\n"',
    )
    sampler = system.SystemSampler(str(tmp_path))
    sampler.sample()
    record = sampler.sample()
    assert record["gpu0_util_percent"] == 30 and record["gpu0_mem_used_mb"] == 4000
    assert record["gpu0_mem_percent"] == 25
    assert record["gpu1_util_percent"] == 90 and record["gpu1_mem_percent"] == 0
    assert sampler.errors == []


def test_failing_or_hanging_nvidia_smi_is_an_error_not_a_stop(tmp_path, monkeypatch):
    fake_nvidia_smi(tmp_path, monkeypatch, 'echo "NVIDIA-SMI has failed" >&2; exit 9')
    sampler = system.SystemSampler(str(tmp_path))
    sampler.sample()
    record = sampler.sample()
    assert not any(name.startswith("gpu") for name in record)
    assert "proc_cpu_percent" in record
    assert len(sampler.errors) == 1 and "code 9" in str(sampler.errors[-1])

    fake_nvidia_smi(tmp_path, monkeypatch, "exec sleep 5")
    sampler = system.SystemSampler(str(tmp_path), gpu_timeout=0.3)
    sampler.sample()
    started = time.monotonic()
    record = sampler.sample()
    assert time.monotonic() - started < 3
    assert "proc_cpu_percent" in record
    assert type(sampler.errors[-1]).__name__ == "TimeoutExpired"


def test_interval_of():
    assert system.interval_of(False) is None and system.interval_of(None) is None and system.interval_of(0) is None
    assert system.interval_of(True) == 10.0
    assert system.interval_of(2) == 2.0 and system.interval_of(0.25) == 0.25
    for bad in (-1, float("nan"), float("inf"), "fast", [1]):
        with pytest.raises(ValueError):
            system.interval_of(bad)


# ---------------------------------------------------------------------------------- Run(system_metrics=...)


def test_run_logs_system_points(monkeypatch):
    no_nvidia_smi(monkeypatch)
    with Run(prefix="alice/p/sys", system_metrics=0.2).run as run:
        thread = run._system._thread
        assert thread.daemon and thread.is_alive()
        for step in range(11):
            run.metrics("train").log(loss=1 / (step + 1), step=step)
            time.sleep(0.1)
    points = read_lines(os.path.join(run.dir, "metrics", "system", "data.jsonl"))
    assert len(points) >= 2
    expected = (MACHINE_FIELDS | PROCESS_FIELDS) if os.path.exists("/proc/stat") else {"proc_cpu_percent"}
    for point in points:
        assert expected <= set(point["data"]) and "_ts" in point["data"]
    assert [p["index"] for p in points] == list(range(len(points)))
    assert len(run.metrics("train").read()) == 11
    assert run.status == "COMPLETED" and run.system_errors == []
    # The thread ends with the run and logs nothing after it.
    thread.join(timeout=2)
    assert not thread.is_alive()
    time.sleep(0.3)
    assert len(read_lines(os.path.join(run.dir, "metrics", "system", "data.jsonl"))) == len(points)


def test_first_point_after_one_interval(monkeypatch):
    no_nvidia_smi(monkeypatch)
    with Run(prefix="alice/p/sys-late", system_metrics=5).run as run:
        time.sleep(0.2)
    assert not os.path.exists(os.path.join(run.dir, "metrics", "system", "data.jsonl"))


def test_off_by_default_and_true_is_ten_seconds(monkeypatch):
    no_nvidia_smi(monkeypatch)
    with Run(prefix="alice/p/sys-off").run as run:
        assert run._system is None
    with Run(prefix="alice/p/sys-on", system_metrics=True).run as run:
        assert run._system.interval == 10.0 and run._system.running
    run._system._thread.join(timeout=2)
    assert not run._system.running


def test_bad_system_metrics_option():
    for bad in (-1, "fast", float("nan")):
        with pytest.raises(InvalidArgumentError) as info:
            Run(prefix="alice/p/sys-bad", system_metrics=bad)
        assert info.value.code == "TRACKING_VALUE"


def test_a_slow_nvidia_smi_never_holds_up_the_run(tmp_path, monkeypatch):
    fake_nvidia_smi(tmp_path, monkeypatch, "exec sleep 3")
    run = Run(prefix="alice/p/sys-slow", system_metrics=0.1).start()
    time.sleep(0.4)  # the thread now waits for nvidia-smi
    started = time.monotonic()
    for step in range(1000):
        run.metrics("train").log(step=step)
    run.complete()
    assert time.monotonic() - started < 1.5
    assert run.status == "COMPLETED"
    assert len(run.metrics("train").read()) == 1000


def test_sampling_errors_reach_system_errors(monkeypatch):
    no_nvidia_smi(monkeypatch)
    monkeypatch.setattr(system, "disk_used_percent", lambda path: 1 / 0)
    with Run(prefix="alice/p/sys-err", system_metrics=0.1).run as run:
        time.sleep(0.6)
    assert run.system_errors and all(isinstance(e, ZeroDivisionError) for e in run.system_errors)
    points = run.metrics("system").read()
    assert len(points) >= 2 and all("disk_used_percent" not in p["data"] for p in points)
    assert run.status == "COMPLETED"


def test_current_run_passes_the_option(monkeypatch, tmp_path):
    no_nvidia_smi(monkeypatch)
    monkeypatch.setenv("LABRUN_RUN_DIR", str(tmp_path / "job-run"))
    monkeypatch.setenv("LABRUN_RUN_PREFIX", "alice/jobs/one")
    run = Run.current(system_metrics=0.1)
    time.sleep(0.6)
    run.complete()
    assert len(run.metrics("system").read()) >= 2
