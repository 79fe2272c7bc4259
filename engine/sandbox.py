"""The one environment every page and example runs in, for the tests, the build and
`make outputs` alike.

- `ENVIRONMENT`: one thread a process (small models train fastest so on 2 cores, and a page
  that prints `torch.get_num_threads()` prints the same everywhere) and a fixed hash seed (a
  printed set of strings keeps its order between runs). The other-CPU run changes the hash
  seed, so an output that depends on it fails there.
- `fresh_state`: the global state a page can read back, reset before each page whatever ran
  before: the random generators seeded, torch's and NumPy's print options, default dtype,
  grad mode and deterministic-algorithm flag, torch.compile's caches, matplotlib's open
  figures.
- `offline`: Python sockets refuse to connect anywhere, with a message naming the unit: a
  page or example that downloads would otherwise pass only because a machine is offline.
- `alarm`: a block that runs past its limit fails, naming its page and line.
- `scratch`: pages and examples run in a scratch folder, and `changed_in_tree` lists files a
  run wrote, changed or deleted in the project.
- `shifted_clock`: the other-CPU run also moves the clock a year and a day ahead, so an
  output that shows today's date fails there.

A refusal or a timeout is recorded (`fired`) as well as raised: a run that caught it, or
showed it as its expected output, still fails.
"""

from __future__ import annotations

import contextlib
import datetime
import faulthandler
import os
import random
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


def apply_environment() -> None:
    """Set the run's environment in this process, before torch is imported; processes it
    starts inherit it. A value set otherwise is replaced: one environment everywhere."""
    os.environ.update(ENVIRONMENT)


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


# NumPy's print options as NumPy documents their defaults.
NUMPY_PRINT = {
    "precision": 8, "threshold": 1000, "edgeitems": 3, "linewidth": 75, "suppress": False,
    "nanstr": "nan", "infstr": "inf", "formatter": None, "sign": "-", "floatmode": "maxprec",
    "legacy": False,
}  # fmt: skip


def fresh_state() -> None:
    """Put the global state a page can read back in one known place, whatever ran before.

    The global random generators get a fixed seed (PAGE_TEST_SEED, 0 unless set); the
    other-CPU run uses another, so an output from a generator the page did not seed fails.
    NumPy and torch are imported first, so their generators are seeded however a page
    imports them (directly, or in an embedded snippet).
    """
    seed = int(os.environ.get("PAGE_TEST_SEED", "0"))
    random.seed(seed)
    import numpy
    import torch

    numpy.random.seed(seed)
    numpy.set_printoptions(**NUMPY_PRINT)
    numpy.seterr(divide="warn", over="warn", under="ignore", invalid="warn")
    torch.manual_seed(seed)
    torch.set_default_dtype(torch.float32)
    torch.set_default_device(None)
    torch.set_grad_enabled(True)
    torch.set_printoptions(profile="default", sci_mode=None)
    torch.use_deterministic_algorithms(False)
    torch.set_float32_matmul_precision("highest")
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    forget_compiled()
    if pyplot := sys.modules.get("matplotlib.pyplot"):
        pyplot.close("all")


def forget_compiled() -> None:
    """Drop what torch.compile captured and cached in this process (its graphs guard on the
    names of the run that compiled them), if anything imported it."""
    if dynamo := sys.modules.get("torch._dynamo"):
        dynamo.reset()


fired: list[str] = []  # refusals and timeouts of the current run, caught or not


def _refusal(unit: str, address) -> str:
    return (
        f"{unit} tried to connect to {address}: pages and examples run offline (no "
        "downloads, no servers); generate the data or use what scikit-learn ships"
    )


class Offline(ConnectionRefusedError):
    pass


@contextlib.contextmanager
def offline(unit: str) -> Iterator[None]:
    """Python sockets refuse to connect while the unit runs (local Unix sockets excepted)."""
    original = (socket.socket.connect, socket.socket.connect_ex)

    def refuse(self, address, *args, **kwargs):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            fired.append(_refusal(unit, address))
            raise Offline(fired[-1])
        return original[0](self, address, *args, **kwargs)

    def refuse_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            refuse(self, address)
        return original[1](self, address)

    socket.socket.connect, socket.socket.connect_ex = refuse, refuse_ex
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = original


# Run by each example's kernel before its first cell (an IPython startup file): the same
# refusal as `offline`, for the kernel's process; each refusal is also appended to a file
# (`{record}`) that the engine reads after the run, so a caught refusal still fails it.
KERNEL_STARTUP = """\
def _engine_offline():
    import socket

    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            message = {message!r}.replace("ADDRESS", repr(address))
            with open({record!r}, "a", encoding="utf-8") as record:
                record.write(message + "\\n")
            raise ConnectionRefusedError(message)
        return connect(self, address, *args)

    def refuse_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            refuse(self, address)
        return connect_ex(self, address)

    socket.socket.connect, socket.socket.connect_ex = refuse, refuse_ex


_engine_offline()
del _engine_offline
"""


def kernel_startup(unit: str, record: Path) -> str:
    return KERNEL_STARTUP.format(message=_refusal(unit, "ADDRESS"), record=str(record))


class BlockTimeout(TimeoutError):
    pass


def alarm(where: str) -> None:
    """Raise BlockTimeout in the main thread if `cancel_alarm` does not come within the
    block time limit (ENGINE_BLOCK_TIMEOUT, 120 s unless set), and again every second after,
    so a block that catches it cannot go on; past three times the limit the process ends
    (faulthandler prints where it was)."""
    seconds = float(os.environ.get("ENGINE_BLOCK_TIMEOUT", "120"))
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        return

    def expire(signum, frame):
        fired.append(
            f"{where}: this block ran past {seconds:g} s (ENGINE_BLOCK_TIMEOUT); keep page "
            "code short, and put long training in an example"
        )
        raise BlockTimeout(fired[-1])

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    faulthandler.dump_traceback_later(3 * seconds + 10, exit=True, file=sys.__stderr__)


def cancel_alarm() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        faulthandler.cancel_dump_traceback_later()


@contextlib.contextmanager
def shifted_clock(seconds: float) -> Iterator[None]:
    """The wall clock `seconds` ahead while the block runs: `time.time()`, `time_ns()`,
    `localtime()`, `gmtime()`, `ctime()`, `strftime()` without a time, `date.today()` and
    `datetime.now()`/`today()`/`utcnow()` (monotonic clocks, which time blocks, are left)."""
    if not seconds:
        yield
        return
    real = {
        name: getattr(time, name)
        for name in ("time", "time_ns", "localtime", "gmtime", "ctime", "strftime")
    }
    real_datetime = datetime.datetime

    class ShiftedDatetime(real_datetime):
        @classmethod
        def now(cls, tz=None):
            return real_datetime.now(tz) + datetime.timedelta(seconds=seconds)

        @classmethod
        def today(cls):
            return cls.now()

        @classmethod
        def utcnow(cls):
            return real_datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(
                seconds=seconds
            )

    def later() -> float:
        return real["time"]() + seconds

    time.time = later
    time.time_ns = lambda: real["time_ns"]() + int(seconds * 1e9)
    time.localtime = lambda secs=None: real["localtime"](later() if secs is None else secs)
    time.gmtime = lambda secs=None: real["gmtime"](later() if secs is None else secs)
    time.ctime = lambda secs=None: real["ctime"](later() if secs is None else secs)
    time.strftime = lambda fmt, t=None: real["strftime"](fmt, time.localtime() if t is None else t)
    datetime.datetime = ShiftedDatetime
    try:
        yield
    finally:
        for name, function in real.items():
            setattr(time, name, function)
        datetime.datetime = real_datetime


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


@contextlib.contextmanager
def as_a_reader(root: Path) -> Iterator[None]:
    """The project's own modules out of reach (a reader has no `snippets` or `engine` to
    import), and `os.environ` and `sys.path` as they were once the run ends."""
    environ, path = dict(os.environ), list(sys.path)
    project = {str(root.resolve()), str(root), ""}
    sys.path[:] = [entry for entry in sys.path if entry not in project]
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path


Snapshot = dict[Path, tuple[int, int]]


def tree_files(root: Path) -> Snapshot:
    """The project's files with their size and modification time, without the folders that
    runs may write to."""
    found: Snapshot = {}
    for folder, folders, files in os.walk(root):
        folders[:] = [f for f in folders if f not in NOT_THE_TREE]
        for name in files:
            path = Path(folder, name)
            with contextlib.suppress(FileNotFoundError):
                status = path.stat()
                found[path] = (status.st_size, status.st_mtime_ns)
    return found


def changed_in_tree(root: Path, before: Snapshot) -> list[str]:
    """Files of the project a run wrote, changed or deleted."""
    after = tree_files(root)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    return sorted(str(p.relative_to(root)) for p in changed)
