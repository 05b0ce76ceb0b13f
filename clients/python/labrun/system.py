"""System metrics: ``Run(..., system_metrics=True)`` samples the machine and this process into the run's
``system`` metric stream from a daemon thread.

The fields are the ones labrun's launcher writes for a launched job (src/tracking/system/), so both kinds of
run read the same: ``cpu_percent``, ``mem_used_mb``, ``mem_percent``, ``disk_read_mb_s``, ``disk_write_mb_s``,
``net_rx_mb_s``, ``net_tx_mb_s`` (machine-wide, from /proc), ``disk_used_percent`` (the file system holding
the run folder), ``proc_cpu_percent`` (this process, % of one core), ``proc_rss_mb`` and, where ``nvidia-smi``
is on PATH, ``gpu<i>_util_percent``, ``gpu<i>_mem_used_mb``, ``gpu<i>_mem_percent``. MB are 10^6 bytes; rates
are per second over the interval since the previous sample.

Where a source does not exist (no /proc off Linux, no nvidia-smi) its fields are left out. Any other failure
is kept in ``errors`` and that part of the sample is skipped: sampling never raises into the program, and it
runs on its own thread, so the training loop never waits for it (nor for a slow ``nvidia-smi``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple, TypeVar

DEFAULT_INTERVAL = 10.0
NVIDIA_SMI_TIMEOUT = 5.0
MAX_KEPT_ERRORS = 20
_MB = 1e6
T = TypeVar("T")

# Whole physical disks only: partitions and loop/ram devices would count the same bytes twice.
_WHOLE_DISK = re.compile(r"^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+|hd[a-z]+)$")
_NVIDIA_SMI_ARGS = ["--query-gpu=index,utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits"]


class GpuReading(NamedTuple):
    index: int
    utilization_percent: float
    memory_used_mb: float
    memory_total_mb: float


class Counters(NamedTuple):
    """One reading of the cumulative counters; a sample is the difference of two. None: not available."""

    at: float  # time.monotonic()
    cpu: Optional[Tuple[int, int]]  # (busy, total) clock ticks, all CPUs
    disk: Optional[Tuple[int, int]]  # (read, written) bytes
    net: Optional[Tuple[int, int]]  # (received, sent) bytes
    proc_cpu: Optional[float]  # CPU seconds of this process


# ---------------------------------------------------------------------------------- reading sources


def read_text(path: str) -> Optional[str]:
    """The file's text, or None when it does not exist (no /proc here). Other errors raise."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("ascii", "replace")
    except (FileNotFoundError, NotADirectoryError):
        return None


def parse_proc_stat(text: str) -> Optional[Tuple[int, int]]:
    """(busy, total) clock ticks of all CPUs from /proc/stat: user nice system idle iowait irq softirq steal,
    idle + iowait being "not busy"."""
    first = text.split("\n", 1)[0].split()
    if not first or first[0] != "cpu":
        return None
    ticks = [int(v) for v in first[1:9]]
    total = sum(ticks)
    idle = sum(ticks[3:5])
    return total - idle, total


def parse_meminfo(text: str) -> Optional[Tuple[int, int]]:
    """(total, available) bytes from /proc/meminfo; None without MemAvailable (kernels before 3.14)."""
    values: Dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        fields = rest.split()
        if fields and key in ("MemTotal", "MemAvailable"):
            values[key] = int(fields[0]) * 1024
    if "MemTotal" not in values or "MemAvailable" not in values:
        return None
    return values["MemTotal"], values["MemAvailable"]


def parse_diskstats(text: str) -> Tuple[int, int]:
    """(read, written) bytes of the whole disks in /proc/diskstats (sectors of 512 bytes)."""
    read = written = 0
    for line in text.splitlines():
        fields = line.split()
        if len(fields) > 9 and _WHOLE_DISK.match(fields[2]):
            read += int(fields[5]) * 512
            written += int(fields[9]) * 512
    return read, written


def parse_net_dev(text: str) -> Tuple[int, int]:
    """(received, sent) bytes of every interface but ``lo`` in /proc/net/dev."""
    received = sent = 0
    for line in text.splitlines()[2:]:
        name, sep, rest = line.partition(":")
        fields = rest.split()
        if not sep or name.strip() == "lo" or len(fields) < 9:
            continue
        received += int(fields[0])
        sent += int(fields[8])
    return received, sent


def parse_nvidia_smi(output: str) -> List[GpuReading]:
    """GPUs from ``nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total
    --format=csv,noheader,nounits``; lines that are not four numbers (``[N/A]``, messages) are left out."""
    gpus: List[GpuReading] = []
    for line in output.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 4:
            continue
        try:
            index, util, used, total = (float(field) for field in fields)
        except ValueError:
            continue
        if index.is_integer() and all(v == v and abs(v) != float("inf") for v in (util, used, total)):
            gpus.append(GpuReading(int(index), util, used, total))
    return gpus


def read_gpus(timeout: float = NVIDIA_SMI_TIMEOUT) -> List[GpuReading]:
    """Per-GPU readings from ``nvidia-smi``; [] when it is not on PATH. A failure or timeout raises."""
    program = shutil.which("nvidia-smi")
    if program is None:
        return []
    done = subprocess.run(
        [program, *_NVIDIA_SMI_ARGS],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or done.stdout.decode("utf-8", "replace").strip()
        raise OSError(f"nvidia-smi exited with code {done.returncode}: {message[:200]}")
    return parse_nvidia_smi(done.stdout.decode("utf-8", "replace"))


def disk_used_percent(path: str) -> Optional[float]:
    """Share of the file system holding ``path`` that is used, in % (None without os.statvfs)."""
    if not hasattr(os, "statvfs"):
        return None
    fs = os.statvfs(path)
    return 100.0 * (fs.f_blocks - fs.f_bfree) / fs.f_blocks if fs.f_blocks > 0 else None


def process_cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads), in seconds."""
    times = os.times()
    return times.user + times.system


def process_rss_bytes() -> Optional[int]:
    """Resident memory of this process from /proc/self/statm; None off Linux."""
    text = read_text("/proc/self/statm")
    if text is None:
        return None
    return int(text.split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------------------------- sampling


class SystemSampler:
    """Turns two readings of the counters into a record. The first ``sample()`` only sets the baseline for
    rates and returns None; later calls return a record of the fields that are available."""

    def __init__(self, disk_path: str, gpu_timeout: float = NVIDIA_SMI_TIMEOUT) -> None:
        self.disk_path = disk_path
        self.gpu_timeout = gpu_timeout
        self.errors: List[BaseException] = []
        self.error_count = 0
        self._last: Optional[Counters] = None

    def sample(self) -> Optional[Dict[str, float]]:
        now = self._read_counters()
        last, self._last = self._last, now
        if last is None:
            return None
        record: Dict[str, float] = {}
        seconds = max(now.at - last.at, 1e-3)
        if now.cpu is not None and last.cpu is not None and now.cpu[1] > last.cpu[1]:
            record["cpu_percent"] = 100.0 * (now.cpu[0] - last.cpu[0]) / (now.cpu[1] - last.cpu[1])
        memory = self._guard(lambda: _parsed("/proc/meminfo", parse_meminfo))
        if memory is not None:
            total, available = memory
            record["mem_used_mb"] = (total - available) / _MB
            record["mem_percent"] = 100.0 * (total - available) / total if total > 0 else 0.0
        _add_rates(record, ("disk_read_mb_s", "disk_write_mb_s"), last.disk, now.disk, seconds)
        _add_rates(record, ("net_rx_mb_s", "net_tx_mb_s"), last.net, now.net, seconds)
        used = self._guard(lambda: disk_used_percent(self.disk_path))
        if used is not None:
            record["disk_used_percent"] = used
        for gpu in self._guard(lambda: read_gpus(self.gpu_timeout)) or []:
            record[f"gpu{gpu.index}_util_percent"] = gpu.utilization_percent
            record[f"gpu{gpu.index}_mem_used_mb"] = gpu.memory_used_mb
            record[f"gpu{gpu.index}_mem_percent"] = (
                100.0 * gpu.memory_used_mb / gpu.memory_total_mb if gpu.memory_total_mb > 0 else 0.0
            )
        if now.proc_cpu is not None and last.proc_cpu is not None:
            record["proc_cpu_percent"] = 100.0 * max(0.0, now.proc_cpu - last.proc_cpu) / seconds
        rss = self._guard(process_rss_bytes)
        if rss is not None:
            record["proc_rss_mb"] = rss / _MB
        return record

    def _read_counters(self) -> Counters:
        return Counters(
            at=time.monotonic(),
            cpu=self._guard(lambda: _parsed("/proc/stat", parse_proc_stat)),
            disk=self._guard(lambda: _parsed("/proc/diskstats", parse_diskstats)),
            net=self._guard(lambda: _parsed("/proc/net/dev", parse_net_dev)),
            proc_cpu=self._guard(process_cpu_seconds),
        )

    def _guard(self, read: Callable[[], Optional[T]]) -> Optional[T]:
        """``read()``, or None after keeping the error it raised."""
        try:
            return read()
        except Exception as error:  # noqa: BLE001 - a sample must never raise
            self.record_error(error)
            return None

    def record_error(self, error: BaseException) -> None:
        self.error_count += 1
        self.errors.append(error)
        del self.errors[:-MAX_KEPT_ERRORS]


def _parsed(path: str, parse: Callable[[str], Optional[T]]) -> Optional[T]:
    text = read_text(path)
    return None if text is None else parse(text)


def _add_rates(
    record: Dict[str, float],
    names: Tuple[str, str],
    last: Optional[Tuple[int, int]],
    now: Optional[Tuple[int, int]],
    seconds: float,
) -> None:
    """MB/s of two byte counters; counters that went back (a device removed) count as 0."""
    if last is None or now is None:
        return
    for name, before, after in zip(names, last, now):
        record[name] = max(0, after - before) / seconds / _MB


class SystemMetrics:
    """The daemon thread of ``Run(system_metrics=...)``: samples every ``interval`` seconds (the first
    point after one interval) and passes each record to ``log``, until ``stop()``."""

    def __init__(self, log: Callable[[Dict[str, float]], Any], interval: float, disk_path: str, label: str = "") -> None:
        self.interval = float(interval)
        self.sampler = SystemSampler(disk_path)
        self._log = log
        self._label = label
        self._stop = threading.Event()
        # Held while a record is logged, so that after stop() returns nothing more is logged: stop() never
        # waits for a sample in progress (nvidia-smi may be slow), only for a log call in progress.
        self._log_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    @property
    def errors(self) -> List[BaseException]:
        return list(self.sampler.errors)

    @property
    def error_count(self) -> int:
        return self.sampler.error_count

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        thread = threading.Thread(target=self._loop, name=f"labrun-system {self._label}", daemon=True)
        self._thread = thread
        thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Ends the thread; once it returns, no more records are logged. Waits ``timeout`` at most for a log
        call in progress: a SIGTERM handler may stop it while the thread it interrupted holds the writer's
        lock that the log call waits for."""
        self._stop.set()
        if self._log_lock.acquire(timeout=timeout):
            self._log_lock.release()

    def _loop(self) -> None:
        try:
            self.sampler.sample()  # the baseline for rates
            next_at = time.monotonic() + self.interval
            while not self._stop.wait(max(0.0, next_at - time.monotonic())):
                self._sample_and_log()
                now = time.monotonic()
                next_at += self.interval
                if next_at <= now:  # a sample took longer than the interval: start over from now
                    next_at = now + self.interval
        except Exception as error:  # noqa: BLE001 - the thread must end quietly
            self.sampler.record_error(error)

    def _sample_and_log(self) -> None:
        record = self.sampler.sample()
        if not record:
            return
        with self._log_lock:
            if self._stop.is_set():
                return
            try:
                self._log(record)
            except Exception as error:  # noqa: BLE001
                self.sampler.record_error(error)


def interval_of(value: Any) -> Optional[float]:
    """``system_metrics`` as an interval in seconds: False/None/0 → None (off), True → 10, a positive
    number → it. Raises ValueError for anything else."""
    if value is None or value is False:
        return None
    if value is True:
        return DEFAULT_INTERVAL
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
        if seconds == 0:
            return None
        if seconds > 0 and seconds != float("inf"):
            return seconds
    raise ValueError(value)
