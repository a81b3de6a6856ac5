"""Hardware facts: the parsers on recorded outputs, and the live functions on this machine."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from desktop_app.core import hardware
from desktop_app.core.hardware import (
    GpuDevice,
    MemoryInfo,
    parse_cpuinfo,
    parse_meminfo,
    parse_nvidia_smi,
    parse_vm_stat,
)


def _cpuinfo(pairs: list[tuple[int, int]]) -> str:
    blocks = [f"processor\t: {n}\nphysical id\t: {p}\ncore id\t\t: {c}\nflags\t\t: fpu\n"
              for n, (p, c) in enumerate(pairs)]
    return "\n".join(blocks)


def test_cpuinfo_counts_cores_not_hyperthreads() -> None:
    # Two sockets, two cores each, two threads per core: 8 logical CPUs, 4 cores.
    pairs = [(p, c) for p in (0, 1) for c in (0, 1)] * 2
    assert parse_cpuinfo(_cpuinfo(pairs)) == 4


def test_cpuinfo_without_topology_returns_zero() -> None:
    assert parse_cpuinfo("processor\t: 0\nBogoMIPS\t: 48.00\n\nprocessor\t: 1\n") == 0


def test_meminfo() -> None:
    text = "MemTotal:       16318412 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n"
    assert parse_meminfo(text) == MemoryInfo(16318412 * 1024, 8000000 * 1024)


def test_meminfo_before_memavailable_adds_free_and_cache() -> None:
    text = "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 200 kB\n"
    assert parse_meminfo(text) == MemoryInfo(1000 * 1024, 310 * 1024)


def test_vm_stat() -> None:
    text = ('Mach Virtual Memory Statistics: (page size of 16384 bytes)\n'
            'Pages free:                               10000.\n'
            'Pages active:                             50000.\n'
            'Pages inactive:                           20000.\n'
            'Pages speculative:                         1000.\n'
            '"Translation faults":                  123456789.\n')
    assert parse_vm_stat(text, 16 * 1024**3) == MemoryInfo(16 * 1024**3, 31000 * 16384)


def test_nvidia_smi_output() -> None:
    text = "NVIDIA GeForce RTX 4090, 24564, 23000\nTesla T4, 15360, 15000\nNo devices, x, y\n"
    assert parse_nvidia_smi(text) == [
        GpuDevice("NVIDIA GeForce RTX 4090", "cuda", 24564 * 1024**2, 23000 * 1024**2),
        GpuDevice("Tesla T4", "cuda", 15360 * 1024**2, 15000 * 1024**2),
    ]


def test_physical_cores_on_this_machine() -> None:
    cores = hardware.physical_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)


def test_memory_on_this_machine() -> None:
    mem = hardware.memory()
    assert mem.total_bytes > 100 * 1024**2
    assert 0 < mem.available_bytes <= mem.total_bytes


@pytest.mark.skipif(sys.platform != "linux", reason="uses a shell script as nvidia-smi")
def test_gpu_devices_runs_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "nvidia-smi"
    script.write_text("#!/bin/sh\necho 'Fake GPU, 8192, 4096'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    assert hardware.gpu_devices() == [GpuDevice("Fake GPU", "cuda", 8 * 1024**3, 4 * 1024**3)]


@pytest.mark.skipif(sys.platform == "darwin", reason="Apple GPUs are reported without a tool")
def test_no_gpu_tool_means_no_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert hardware.gpu_devices() == []


@pytest.mark.skipif(sys.platform != "linux", reason="uses a shell script as nvidia-smi")
def test_failing_nvidia_smi_means_no_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "nvidia-smi"
    script.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert hardware.gpu_devices() == []
