"""Facts about this computer that decide how a model is loaded: cores, memory, GPUs.

Best effort and dependency-free (no psutil, which would add a compiled wheel
per platform to every installer): Linux reads /proc, macOS asks sysctl and
vm_stat, Windows calls the Win32 API through ctypes. Every function returns
a usable answer even when the platform hides the facts: the core count is
never 0 and missing memory figures fall back to conservative guesses, so a
caller never has to handle an exception to pick a thread count.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_SUBPROCESS_TIMEOUT = 3.0
"""Seconds to wait for nvidia-smi, sysctl or vm_stat; a hung driver must not hang a load."""

_FALLBACK_MEMORY = 4 * 1024**3
"""Assumed total (and available) memory when the platform will not say: small on purpose."""


@dataclass(frozen=True)
class MemoryInfo:
    """System memory in bytes.

    ``available_bytes`` is what a new process can use without pushing others into swap.
    """

    total_bytes: int
    available_bytes: int


@dataclass(frozen=True)
class GpuDevice:
    """One GPU: ``backend`` is the llama.cpp backend that drives it ("cuda", "metal")."""

    name: str
    backend: str
    total_bytes: int
    free_bytes: int


# ---- cores -------------------------------------------------------------------------------

def parse_cpuinfo(text: str) -> int:
    """Physical cores in a /proc/cpuinfo dump: unique (physical id, core id) pairs.

    Returns 0 when the file lacks those fields (some ARM kernels); the caller
    then falls back to the logical count.
    """
    cores: set[tuple[str, str]] = set()
    physical = core = None
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if core is not None:
                cores.add((physical or "0", core))
            physical = core = None
            continue
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "physical id":
            physical = value.strip()
        elif key == "core id":
            core = value.strip()
    return len(cores)


def logical_cpus() -> int:
    """CPUs this process may run on (respects affinity and container limits where visible)."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return max(len(os.sched_getaffinity(0)), 1)
        except OSError:
            pass
    return max(os.cpu_count() or 1, 1)


def _sysctl(name: str) -> str | None:
    try:
        result = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True,
                                timeout=_SUBPROCESS_TIMEOUT, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def physical_cores() -> int:
    """Physical CPU cores usable by this process; llama.cpp runs best with one thread per core.

    Hyper-threads share a core's arithmetic units, so more threads than cores
    slows token generation down. Never returns less than 1.
    """
    logical = logical_cpus()
    cores = 0
    if sys.platform.startswith("linux"):
        try:
            cores = parse_cpuinfo(Path("/proc/cpuinfo").read_text(encoding="utf-8",
                                                                  errors="replace"))
        except OSError:
            cores = 0
    elif sys.platform == "darwin":
        value = _sysctl("hw.physicalcpu")
        cores = int(value) if value and value.isdigit() else 0
    if cores <= 0:
        return logical
    return max(min(cores, logical), 1)


# ---- memory ------------------------------------------------------------------------------

def parse_meminfo(text: str) -> MemoryInfo:
    """Total and available memory from a /proc/meminfo dump (values there are in KiB)."""
    fields: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"(\w+):\s+(\d+)\s*kB", line)
        if match:
            fields[match.group(1)] = int(match.group(2)) * 1024
    total = fields.get("MemTotal", _FALLBACK_MEMORY)
    available = fields.get("MemAvailable")
    if available is None:  # kernels before 3.14
        available = fields.get("MemFree", 0) + fields.get("Cached", 0) + fields.get("Buffers", 0)
    return MemoryInfo(total, min(available, total))


def parse_vm_stat(text: str, total: int) -> MemoryInfo:
    """Available memory from macOS ``vm_stat``: free, inactive and speculative pages."""
    page = re.search(r"page size of (\d+) bytes", text)
    page_size = int(page.group(1)) if page else 4096
    pages = {m.group(1): int(m.group(2))
             for m in re.finditer(r'^"?([A-Za-z ]+?)"?:\s+(\d+)\.?$', text, re.MULTILINE)}
    free = sum(pages.get(k, 0) for k in ("Pages free", "Pages inactive", "Pages speculative"))
    return MemoryInfo(total, min(free * page_size, total))


def _memory_windows() -> MemoryInfo | None:
    if sys.platform != "win32":
        return None

    class MemoryStatusEx(ctypes.Structure):
        _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                    ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                    ("ullTotalPageFile", ctypes.c_ulonglong),
                    ("ullAvailPageFile", ctypes.c_ulonglong),
                    ("ullTotalVirtual", ctypes.c_ulonglong),
                    ("ullAvailVirtual", ctypes.c_ulonglong),
                    ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

    status = MemoryStatusEx()
    status.dwLength = ctypes.sizeof(MemoryStatusEx)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return None
    return MemoryInfo(int(status.ullTotalPhys), int(status.ullAvailPhys))


def _memory_macos() -> MemoryInfo | None:
    value = _sysctl("hw.memsize")
    if not value or not value.isdigit():
        return None
    total = int(value)
    try:
        result = subprocess.run(["vm_stat"], capture_output=True, text=True,
                                timeout=_SUBPROCESS_TIMEOUT, check=True)
    except (OSError, subprocess.SubprocessError):
        return MemoryInfo(total, total // 2)
    return parse_vm_stat(result.stdout, total)


def memory() -> MemoryInfo:
    """Total and available system memory; a conservative guess if the platform won't say."""
    info: MemoryInfo | None = None
    try:
        if sys.platform.startswith("linux"):
            info = parse_meminfo(Path("/proc/meminfo").read_text(encoding="utf-8"))
        elif sys.platform == "darwin":
            info = _memory_macos()
        elif sys.platform == "win32":
            info = _memory_windows()
    except (OSError, ValueError) as exc:
        log.warning("could not read the memory size: %s", exc)
    if info is None:
        return MemoryInfo(_FALLBACK_MEMORY, _FALLBACK_MEMORY // 2)
    return info


# ---- GPUs --------------------------------------------------------------------------------

def parse_nvidia_smi(text: str) -> list[GpuDevice]:
    """Parse ``nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits``.

    Memory figures there are MiB. Lines that do not parse (a driver message)
    are skipped.
    """
    devices = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.rsplit(",", 2)]
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        devices.append(GpuDevice(parts[0], "cuda", int(parts[1]) * 1024**2,
                                 int(parts[2]) * 1024**2))
    return devices


def gpu_devices() -> list[GpuDevice]:
    """GPUs llama.cpp could use, with their memory; empty when none is found.

    NVIDIA cards are listed by nvidia-smi (installed with the driver). On
    Apple Silicon the GPU shares system memory, so it is reported with the
    system's figures. Other GPUs (Vulkan, ROCm) are not detected yet.
    """
    if sys.platform == "darwin" and os.uname().machine == "arm64":
        mem = memory()
        return [GpuDevice("Apple GPU", "metal", mem.total_bytes, mem.available_bytes)]
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        result = subprocess.run(
            [smi, "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=_SUBPROCESS_TIMEOUT, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("nvidia-smi failed: %s", exc)
        return []
    return parse_nvidia_smi(result.stdout)


def model_memory_budget() -> int:
    """Bytes a model may use here: free RAM, or the free memory of the largest GPU if more.

    Asks the GPU driver (a subprocess), so the GUI calls it from a background job.
    """
    best = memory().available_bytes
    for gpu in gpu_devices():
        best = max(best, gpu.free_bytes)
    return best
