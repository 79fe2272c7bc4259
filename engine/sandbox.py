"""The one environment every page and example runs in, for the tests, the build and
`make outputs` alike.

- `ENVIRONMENT`: one thread a process (small models train fastest so on 2 cores, and a page
  that prints `torch.get_num_threads()` prints the same everywhere) and a fixed hash seed (a
  printed set of strings keeps its order between runs). The other-CPU run changes the hash
  seed, so an output that depends on it fails there.
- `fresh_state`: the global state a page can read back, reset before each page whatever ran
  before: the random generators seeded, torch's and NumPy's print options, default dtype,
  grad mode and deterministic-algorithm flag, matplotlib's open figures.
- `offline`: Python sockets refuse to connect anywhere, with a message naming the unit: a
  page or example that downloads would otherwise pass only because a machine is offline.
- `alarm`: a block that runs past its limit fails, naming its page and line.
- `scratch`: pages and examples run in a scratch folder, and `left_in_tree` lists files a
  run wrote into the project.
- `shifted_clock`: the other-CPU run also moves `time.time()` (and so `date.today()`) a year
  and a day ahead, so an output that shows today's date fails there.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import random
import re
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ENVIRONMENT = {"OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
ANOTHER_CPU = {
    "ATEN_CPU_CAPABILITY": "default",
    "PAGE_TEST_SEED": "1",
    "PYTHONHASHSEED": "1",
    "ENGINE_CLOCK_SHIFT": str(366 * 86400),
}
# Folders of the project that runs may write to (caches, builds, the virtual environment).
NOT_THE_TREE = {
    ".git", ".venv", ".cache", "site", "__pycache__", ".pytest_cache", ".ruff_cache",
    "test-artifacts", "node_modules",
}  # fmt: skip


def apply_environment(extra: dict[str, str] | None = None) -> None:
    """Set the run's environment in this process, before torch is imported."""
    for name, value in {**ENVIRONMENT, **(extra or {})}.items():
        os.environ.setdefault(name, value)


def hash_seed_problem() -> str | None:
    """A message if this process's string hashes are random: the seed must be set when a
    process starts (a nonzero seed also leaves `hash_randomization` on, but fixed)."""
    seed = os.environ.get("PYTHONHASHSEED", "random")
    if sys.flags.hash_randomization and not (seed.isdigit() and seed != "0"):
        return (
            "page runs need PYTHONHASHSEED=0, or the order of a printed set depends on the "
            "run: `make test`, `python -m engine` and pytest's xdist workers set it; for "
            "`pytest -n 0`, run `PYTHONHASHSEED=0 pytest -n 0 ...`"
        )
    return None


def fresh_state(page_text: str) -> None:
    """Put the global state a page can read back in one known place, whatever ran before.

    The global random generators get a fixed seed (PAGE_TEST_SEED, 0 unless set); the
    other-CPU run uses another, so an output from a generator the page did not seed fails.
    """
    seed = int(os.environ.get("PAGE_TEST_SEED", "0"))
    random.seed(seed)
    for name in ("numpy", "torch"):  # seeded before the page imports them
        if re.search(rf"^\s*(>>> )?(import|from) {name}\b", page_text, re.MULTILINE):
            importlib.import_module(name)
    if numpy := sys.modules.get("numpy"):
        numpy.random.seed(seed)
        _defaults.setdefault("numpy", numpy.get_printoptions())
        numpy.set_printoptions(**_defaults["numpy"])
    if torch := sys.modules.get("torch"):
        torch.manual_seed(seed)
        torch.set_default_dtype(torch.float32)
        torch.set_grad_enabled(True)
        torch.set_printoptions(profile="default", sci_mode=None)
        torch.use_deterministic_algorithms(False)
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if pyplot := sys.modules.get("matplotlib.pyplot"):
        pyplot.close("all")


_defaults: dict[str, dict] = {}  # NumPy's print options as the first page found them


# Run by each example's kernel before its first cell (an IPython startup file): the same
# refusal as `offline`, for the kernel's process.
KERNEL_STARTUP = """\
import socket as _socket

_connect, _connect_ex = _socket.socket.connect, _socket.socket.connect_ex


def _refuse(self, address, *args):
    if self.family in (_socket.AF_INET, _socket.AF_INET6):
        raise ConnectionRefusedError(
            f"{unit} tried to connect to {{address}}: pages and examples run offline (no "
            "downloads, no servers); generate the data or use what scikit-learn ships"
        )
    return _connect(self, address, *args)


def _refuse_ex(self, address):
    _refuse(self, address)
    return _connect_ex(self, address)


_socket.socket.connect, _socket.socket.connect_ex = _refuse, _refuse_ex
del _refuse, _refuse_ex
"""


class Offline(ConnectionRefusedError):
    pass


@contextlib.contextmanager
def offline(unit: str) -> Iterator[None]:
    """Python sockets refuse to connect while the unit runs (local Unix sockets excepted)."""

    def refuse(self, address, *args, **kwargs):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise Offline(
                f"{unit} tried to connect to {address}: pages and examples run offline (no "
                "downloads, no servers); generate the data or use what scikit-learn ships"
            )
        return original[0](self, address, *args, **kwargs)

    def refuse_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            refuse(self, address)
        return original[1](self, address)

    original = (socket.socket.connect, socket.socket.connect_ex)
    socket.socket.connect, socket.socket.connect_ex = refuse, refuse_ex
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = original


class BlockTimeout(TimeoutError):
    pass


def alarm(where: str) -> None:
    """Raise BlockTimeout in the main thread if `cancel_alarm` does not come within the
    block time limit: ENGINE_BLOCK_TIMEOUT, 120 s unless set."""
    seconds = float(os.environ.get("ENGINE_BLOCK_TIMEOUT", "120"))
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        return

    def expire(signum, frame):
        raise BlockTimeout(
            f"{where}: this block ran past {seconds:g} s (ENGINE_BLOCK_TIMEOUT); keep page "
            "code short, and put long training in an example"
        )

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def cancel_alarm() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.setitimer(signal.ITIMER_REAL, 0)


@contextlib.contextmanager
def shifted_clock(seconds: float) -> Iterator[None]:
    """`time.time()` (and so `date.today()`) `seconds` ahead while the block runs."""
    if not seconds:
        yield
        return
    real = time.time
    time.time = lambda: real() + seconds
    try:
        yield
    finally:
        time.time = real


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """Run in a fresh folder two levels below a temporary one, so `../x` stays inside it."""
    before = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="engine-run-") as folder:
        work = Path(folder) / "run" / "work"
        work.mkdir(parents=True)
        os.chdir(work)
        try:
            yield work
        finally:
            os.chdir(before)


def tree_files(root: Path) -> set[Path]:
    """The project's files, without the folders that runs may write to."""
    found: set[Path] = set()
    for folder, folders, files in os.walk(root):
        folders[:] = [f for f in folders if f not in NOT_THE_TREE]
        found.update(Path(folder, name) for name in files)
    return found


def left_in_tree(root: Path, before: set[Path]) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in tree_files(root) - before)
