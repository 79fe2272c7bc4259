"""Examples (`examples/*.py`, jupytext percent format): each executes once per content key,
in a step of its own, and the build and the tests read the executed notebook it left.

- `key(program)`: the program's code cells (not its Markdown: a prose edit executes
  nothing), the code of snippet sections it embeds, and `cache.environment()`.
- `ensure(programs)`: executes the stale ones side by side, one kernel a core, each in a
  scratch folder with sockets refused and a time limit per cell, and stores the executed
  notebook under its key. A lock per key makes the build and the test workers share one
  execution. A cell that raises, or runs past its limit, fails naming the program's line.
- `executed(program)`: the stored notebook, with the program's current Markdown cells.
- `outputs_text(notebook)`: what the cells printed, for the claim tests.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jupytext
import nbformat
from filelock import FileLock
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from traitlets.config import Config

from engine.cache import ROOT, Store, digest, environment
from engine.sandbox import ENVIRONMENT, changed_in_tree, kernel_startup, tree_files
from engine.snippets import INCLUDE, read_section


def cell_seconds() -> int:
    """Each cell's time limit: ENGINE_CELL_TIMEOUT, 600 s unless set."""
    return int(os.environ.get("ENGINE_CELL_TIMEOUT", "600"))


CELL_MARKER = re.compile(r"^# %%")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ExampleError(Exception):
    """An example that cannot run or render: the message names the program and line."""


def name_of(program: Path) -> str:
    root = program.resolve().parents[1]
    return program.resolve().relative_to(root).as_posix()


def read(program: Path) -> nbformat.NotebookNode:
    return jupytext.read(program)


def cell_lines(program: Path) -> list[int]:
    """The program line of each cell's first line, cell for cell as jupytext reads them."""
    lines = program.read_text(encoding="utf-8").split("\n")
    starts = [n + 2 for n, line in enumerate(lines) if CELL_MARKER.match(line)]
    cells = read(program).cells
    if len(cells) == len(starts) + 1:
        starts.insert(0, 1)  # code before the first marker is a cell of its own
    return starts


def key(program: Path) -> str:
    notebook = read(program)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    root = program.resolve().parents[1]
    embedded = [
        read_section(match["spec"], root).code
        for source in code
        for match in INCLUDE.finditer(source)
    ]
    return digest(program.name, *code, "\0", *embedded, *environment(root))


def store(program: Path) -> Store:
    return Store("examples", program.resolve().parents[1] / ".cache" / "engine")


@dataclass(frozen=True)
class Run:
    program: Path
    executed: bool  # False: its stored notebook was reused


def _line_of_error(program: Path, index: int, cell, error: Exception) -> str:
    first = cell_lines(program)[index]
    message = ANSI.sub("", str(error))
    where = re.findall(rf"Cell In\[{cell.get('execution_count')}\], line (\d+)", message)
    at = first + int(where[-1]) - 1 if where else first
    if isinstance(error, CellTimeoutError):
        return (
            f"{name_of(program)}:{at}: this cell ran past {cell_seconds()} s (ENGINE_CELL_TIMEOUT)"
        )
    if isinstance(error, DeadKernelError):
        return f"{name_of(program)}:{at}: the kernel died while this cell ran"
    last = next((ln for ln in reversed(message.strip().split("\n")) if ln.strip()), "")
    return f"{name_of(program)}:{at}: this cell raised {last.strip()}"


class _Client(NotebookClient):
    """nbclient's client, remembering which cell runs so an error can name its line."""

    running: tuple[int, object] | None = None

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        self.running = (cell_index, cell)
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)


def _refuse_tags(program: Path, notebook) -> None:
    for index, cell in enumerate(notebook.cells):
        if "raises-exception" in cell.metadata.get("tags", []):
            raise ExampleError(
                f"{name_of(program)}:{cell_lines(program)[index] - 1}: a cell tagged "
                "raises-exception; an example's cells must all run (show an error in a "
                "chapter's pycon block, where its traceback is checked)"
            )


def execute(program: Path) -> nbformat.NotebookNode:
    """Run the program as a notebook in a fresh kernel and return it with its outputs."""
    notebook = read(program)
    _refuse_tags(program, notebook)
    root = program.resolve().parents[1]
    before = tree_files(root)
    with tempfile.TemporaryDirectory(prefix="engine-example-") as folder:
        work = Path(folder) / "run" / "work"
        startup = Path(folder) / "ipython" / "profile_default" / "startup"
        work.mkdir(parents=True)
        startup.mkdir(parents=True)
        refused = Path(folder) / "refused.txt"
        (startup / "00-engine.py").write_text(
            kernel_startup(name_of(program), refused), encoding="utf-8"
        )
        env = {**os.environ, **ENVIRONMENT, "IPYTHONDIR": str(Path(folder) / "ipython")}
        env.pop("MPLBACKEND", None)
        client = _Client(
            notebook,
            timeout=cell_seconds(),
            kernel_name="python3",
            allow_errors=False,
            record_timing=True,
            resources={"metadata": {"path": str(work)}},
            # Unix sockets in the scratch folder, not TCP ports: nothing to collide with, and
            # no warning from ipykernel about unencrypted TCP.
            config=Config(KernelManager={"transport": "ipc", "ip": str(Path(folder) / "kernel")}),
        )
        try:
            client.execute(env=env)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
            index, cell = client.running or (0, notebook.cells[0])
            raise ExampleError(_line_of_error(program, index, cell, error)) from None
        if refused.exists():  # a refusal the program caught still fails it
            first = refused.read_text(encoding="utf-8").splitlines()[0]
            raise ExampleError(f"{first} (the program caught it)")
    if changed := changed_in_tree(root, before):
        raise ExampleError(f"{name_of(program)}: the run changed files in the project: {changed}")
    return notebook


def ensure(programs: list[Path], log=print) -> list[Run]:
    """Execute the programs whose key has no stored notebook, side by side; return a Run
    for each program, in order. Raises ExampleError for the first program that fails."""

    def one(program: Path) -> Run:
        unit_key, units = key(program), store(program)
        target = units.path(unit_key, ".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(units.path(unit_key, ".lock"))):
            if target.exists() and units.get(unit_key) is not None:
                return Run(program, False)
            start = time.perf_counter()
            notebook = execute(program)
            seconds = time.perf_counter() - start
            Store.write(target, nbformat.writes(notebook))
            units.put(unit_key, {"program": program.name, "seconds": round(seconds, 2)})
            log(f"executed {name_of(program)} in {seconds:.1f} s")
            return Run(program, True)

    workers = max(1, min(len(programs), os.cpu_count() or 1))
    # The longest programs first, so that the last to finish is a short one.
    order = sorted(programs, key=lambda p: p.stat().st_size, reverse=True)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        runs = dict(zip(order, pool.map(one, order), strict=True))
    return [runs[program] for program in programs]


def executed(program: Path) -> nbformat.NotebookNode:
    """The program's executed notebook (run now if its key has none), with the program's
    current Markdown cells: its code cells are the ones that ran, by the key."""
    ensure([program], log=lambda _: None)
    stored = nbformat.read(store(program).path(key(program), ".ipynb"), as_version=4)
    ran = iter([cell for cell in stored.cells if cell.cell_type == "code"])
    current = read(program)
    for number, cell in enumerate(current.cells, 1):  # code cells: the ones that ran (the key)
        cell.id = f"cell-{number}"  # jupytext makes random ids: the same notebook each read
        if cell.cell_type == "code":
            run = next(ran)
            cell.outputs, cell.execution_count = run.outputs, run.execution_count
            if "execution" in run.metadata:
                cell.metadata["execution"] = run.metadata["execution"]
    current.metadata = stored.metadata
    return current


def run_seconds(notebook: nbformat.NotebookNode) -> float:
    """How long the cells ran: the sum of each cell's execution, from nbclient's timestamps."""
    total = 0.0
    for cell in notebook.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start = datetime.fromisoformat(timing["iopub.execute_input"])
            total += (datetime.fromisoformat(timing["shell.execute_reply"]) - start).total_seconds()
    return total


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    """Everything the code cells printed or returned as text, in order."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif "text/plain" in output.get("data", {}):
                parts.append(output.data["text/plain"] + "\n")
    return "".join(parts)


def programs(root: Path = ROOT) -> list[Path]:
    return sorted((root / "examples").glob("*.py"))
