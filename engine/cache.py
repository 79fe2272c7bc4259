"""Content keys, and the store of what ran under them (`.cache/engine/`).

A unit (a page, an example, a browser check of a built page) is keyed by everything its
result depends on: its own code, the code it embeds, and `environment()`: the pinned
requirements, the Python version, the CPU capability PyTorch's kernels use, the thread and
seed settings, and the engine's own source. The same key means the same result, so a
unit runs once per key: an example's executed notebook is stored under its key, and a page
check stores only that it passed. A clean clone has no store, so it runs everything;
`ENGINE_REUSE=0` ignores what was stored before this run started (`run_started`), so every
unit runs once in that run, and the build and the tests still share each result.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / ".cache" / "engine"
# What a run reads from the environment, so what a key must hold (a page or example that
# reads another variable of its own is for its author to keep out of shown output).
SETTINGS = (
    "OMP_NUM_THREADS", "ATEN_CPU_CAPABILITY", "PAGE_TEST_SEED", "PYTHONHASHSEED",
    "ENGINE_CLOCK_SHIFT", "ENGINE_BLOCK_TIMEOUT", "ENGINE_CELL_TIMEOUT", "TZ", "LC_ALL", "LANG",
    "CUDA_VISIBLE_DEVICES",
)  # fmt: skip


def digest(*parts: str | bytes) -> str:
    """A short hash of the parts, each length-prefixed so that no two lists collide."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little") + data)
    return hasher.hexdigest()[:24]


def cpu_capability() -> str:
    """The SIMD level PyTorch's CPU kernels pick (what `torch.backends.cpu.get_cpu_capability()`
    reports), read without importing torch: ATEN_CPU_CAPABILITY if set, else the CPU's flags."""
    if forced := os.environ.get("ATEN_CPU_CAPABILITY"):
        return forced
    machine = platform.machine()
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n")[0].split())
    except (OSError, IndexError):
        return machine
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return f"{machine}:AVX512"
    if "avx2" in flags:
        return f"{machine}:AVX2"
    return f"{machine}:DEFAULT"


# The engine's modules that decide what a run does (not how a test reports it).
RUNNER = ("cache.py", "sandbox.py", "blocks.py", "snippets.py", "pages.py", "notebooks.py")


@functools.cache
def engine_version() -> str:
    return digest(*(Path(__file__).with_name(name).read_bytes() for name in RUNNER))


@functools.cache
def installed() -> str:
    """Every installed distribution and its version: what a run imports, as installed (the
    pins say what should be; an upgrade in place, or another build of torch, shows here)."""
    names = {f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()}
    return "\n".join(sorted(names))


def environment(root: Path = ROOT) -> tuple[str, ...]:
    """What every result depends on besides its own code."""
    requirements = root / "requirements.txt"
    return (
        requirements.read_text(encoding="utf-8") if requirements.exists() else "",
        installed(),
        sys.version,
        cpu_capability(),
        *(f"{name}={os.environ.get(name, '')}" for name in SETTINGS),
        engine_version(),
    )


def run_started() -> float:
    """When this run started, for ENGINE_REUSE=0: set by the first process that asks (the
    test run's controller asks before it starts any other) and inherited by the rest."""
    return float(os.environ.setdefault("ENGINE_RUN_STARTED", repr(time.time())))


def usable(path: Path) -> bool:
    if not path.exists():
        return False
    return os.environ.get("ENGINE_REUSE", "1") != "0" or path.stat().st_mtime >= run_started()


class Store:
    """Results of one kind of unit, one JSON file a key, written atomically."""

    def __init__(self, kind: str, root: Path = STORE) -> None:
        self.folder = root / kind

    def path(self, key: str, suffix: str = ".json") -> Path:
        return self.folder / f"{key}{suffix}"

    def get(self, key: str) -> dict | None:
        path = self.path(key)
        if not usable(path):
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def put(self, key: str, value: dict) -> None:
        self.write(self.path(key), json.dumps(value, indent=1))

    @staticmethod
    def write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
