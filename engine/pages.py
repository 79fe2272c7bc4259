"""The page runner: one for the page tests, the other-CPU check and `make outputs`.

A page runs as a reader runs it: every block top to bottom in one namespace, as one doctest
(`page_doctest`: a `python` fence is an example that must print nothing, a `pycon` block's
examples must print what the page shows, exactly; `...` elides). It runs on doctest's own
runner (`Runner`), inside the sandbox (engine/sandbox.py): the same environment everywhere,
a known global state, warnings as errors, no network, a time limit per block, a scratch
folder, and nothing left in the project.

- `run(page)` checks a page and runs it once, stopping at the first failure, then checks
  its install line against what the run imported (engine/installs.py); a pass is
  stored under the page's content key (the page, the snippet files it embeds and
  `cache.environment()`), and a page whose key passed before is not run again (`reused`).
- `refresh(page)` runs every example and rewrites the outputs that differ.
"""

from __future__ import annotations

import doctest
import os
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

from engine.blocks import Block, blocks_of, page_problems, project_root
from engine.cache import Store, digest, environment
from engine.installs import install_problems, recording_imports
from engine.sandbox import (
    alarm,
    as_a_reader,
    cancel_alarm,
    changed_in_tree,
    fired,
    fresh_state,
    hash_seed_problem,
    offline,
    scratch,
    shifted_clock,
    tree_files,
)
from engine.snippets import INCLUDE, read_section

DOCTEST = doctest.__file__.removesuffix("c")  # frames a page's traceback leaves out
ENGINE = str(Path(__file__).parent)
OPTIONFLAGS = doctest.ELLIPSIS  # outputs are compared as printed: line breaks and spacing too
# The other-CPU run moves the clock a year and a day ahead (engine/sandbox.py).
CLOCK_SHIFT = float(os.environ.get("ENGINE_CLOCK_SHIFT", "0"))


def _exec_line(block: Block, filename: str) -> str:
    """The block as one statement (doctest compiles each example as one), page lines kept."""
    padded = "\n" * block.line + block.code
    return f"exec(compile({padded!r}, {filename!r}, 'exec'))\n"


def page_doctest(path: Path) -> doctest.DocTest:
    """The whole page as one doctest: python fences expect no output, pycon blocks theirs.

    Each example's `lineno` is its first page line, counted from 0 (doctest adds 1)."""
    parser = doctest.DocTestParser()
    examples: list[doctest.Example] = []
    sections: dict[int, str] = {}  # example lineno -> the snippet section its block embeds
    for block in blocks_of(path):
        if block.runs:
            examples.append(doctest.Example(_exec_line(block, str(path)), "", lineno=block.line))
            if block.include:
                sections[block.line] = block.include
        elif block.lang == "pycon":
            for example in parser.get_examples(block.code, str(path)):
                example.lineno += block.line
                examples.append(example)
    text = path.read_text(encoding="utf-8")
    test = doctest.DocTest(examples, {"__name__": "__main__"}, str(path), str(path), 0, text)
    test.sections = sections  # type: ignore[attr-defined]
    return test


def key(path: Path) -> str:
    """The page's content key: its text, the files it embeds, the environment."""
    text = path.read_text(encoding="utf-8")
    root = project_root(path)
    embedded = []
    for match in INCLUDE.finditer(text):
        try:
            embedded.append(read_section(match["spec"], root).path.read_text(encoding="utf-8"))
        except (LookupError, ValueError) as error:
            embedded.append(str(error))
    name = path.resolve().relative_to(root.resolve()).as_posix()
    return digest(name, text, *embedded, *environment(root))


def report_name(path: Path) -> str:
    """The file a `check --report` run writes its verdict on a page to."""
    return digest(str(path.resolve())) + ".json"


def store(path: Path) -> Store:
    return Store("pages", project_root(path) / ".cache" / "engine")


class Stop(Exception):
    """Raised by `Runner` at the first failing example when it stops there."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass(frozen=True)
class Failure:
    line: int  # 1-based page line of the failing example (or block)
    message: str  # what failed, starting with 'page:line:'
    got: str | None = None  # the output it printed, for a wrong output
    error: BaseException | None = None  # the exception it raised, for one that raised


class Runner(doctest.DocTestRunner):
    """doctest's runner; each example runs under a time limit that names its line, and what
    each printed is kept (`got`) for `refresh`."""

    def __init__(self, stop_at_first: bool = True) -> None:
        super().__init__(checker=doctest.OutputChecker(), verbose=False, optionflags=OPTIONFLAGS)
        self.stop_at_first = stop_at_first
        self.found: list[Failure] = []
        self.got: dict[int, str] = {}  # id(example) -> what it printed (with its traceback)
        self.before: dict[str, object] | None = None  # the namespace before a snippet section

    def finish(self, failure: Failure | None = None) -> None:
        """An example (or the page) is done: stop its clock; record a failure, and stop
        the run at it when stopping at the first."""
        cancel_alarm()
        if failure is not None:
            self.found.append(failure)
            if self.stop_at_first:
                raise Stop(failure)

    def report_start(self, out, test, example) -> None:
        alarm(f"{test.filename}:{example.lineno + 1}")
        in_section = example.lineno in getattr(test, "sections", {})
        self.before = dict(test.globs) if in_section else None

    def report_success(self, out, test, example, got) -> None:
        self.got[id(example)] = got
        self.finish(self.rebound(test, example))

    def rebound(self, test: doctest.DocTest, example: doctest.Example) -> Failure | None:
        """A snippet section runs in the page's namespace: one that rebinds a name the page
        (or an earlier section) defined changes what the page's later blocks see."""
        if self.before is None:
            return None
        names = sorted(
            name
            for name, value in self.before.items()
            if not name.startswith("__") and test.globs.get(name, value) is not value
        )
        if not names:
            return None
        section = test.sections[example.lineno]  # type: ignore[attr-defined]
        return Failure(
            example.lineno + 1,
            f"{test.filename}:{example.lineno + 1}: the snippet section {section} rebinds "
            f"{', '.join(names)}, defined on the page before it: a section runs in the page's "
            "namespace, so a page block that uses the name later sees the section's value; "
            "rename it in the section",
        )

    def report_failure(self, out, test, example, got) -> None:
        self.got[id(example)] = got
        where = f"{test.filename}:{example.lineno + 1}"
        if example.source.startswith("exec(compile("):
            message = f"{where}: this fence printed output that the page does not show:\n{got}"
        else:
            difference = self._checker.output_difference(example, got, self.optionflags)
            message = f"{where}: the output differs\n>>> {example.source.strip()}\n{difference}"
        self.finish(Failure(example.lineno + 1, message, got=got))

    def report_unexpected_exception(self, out, test, example, exc_info) -> None:
        error = exc_info[1]
        self.got[id(example)] = "".join(traceback.format_exception(*exc_info))
        where = f"{test.filename}:{example.lineno + 1}"
        message = f"{where}: this block raised\n{page_traceback(error)}"
        self.finish(Failure(example.lineno + 1, message, error=error))


def page_traceback(error: BaseException) -> str:
    """The traceback from the page's own code on: doctest's and the engine's frames dropped."""
    frames = traceback.extract_tb(error.__traceback__)
    inside = [f for f in frames if not f.filename.startswith((DOCTEST, ENGINE))]
    lines = traceback.format_list(inside) + traceback.format_exception_only(error)
    return "Traceback (most recent call last):\n" + "".join(lines)


@dataclass(frozen=True)
class PageRun:
    path: Path
    failure: Failure | None
    reused: bool
    seconds: float


def run_in_sandbox(
    path: Path, test: doctest.DocTest, runner: Runner, imported: set[str] | None = None
) -> None:
    """Run the page's doctest with `runner`, in the sandbox; add the top-level modules its
    run imports to `imported`."""
    if problem := hash_seed_problem():
        raise Stop(Failure(0, problem))
    root = project_root(path)
    before = tree_files(root)
    fresh_state()
    fired.clear()
    try:
        with (
            warnings.catch_warnings(),
            as_a_reader(root),
            offline(str(path)),
            scratch(),
            shifted_clock(CLOCK_SHIFT),
            recording_imports(set() if imported is None else imported),
        ):
            warnings.simplefilter("error")
            runner.run(test, out=lambda _: None, clear_globs=False)
    finally:
        cancel_alarm()
        # Drop the page's names, as doctest does, but not the `__...` ones: torch.compile
        # adds some (`__compiled_fn_...`), deletes them itself at exit and complains if gone.
        for name in [name for name in test.globs if not name.startswith("__")]:
            del test.globs[name]
    if fired:  # refused or timed out, even where the page caught it or showed it as output
        runner.finish(Failure(0, f"{fired[0]} (the page caught it or shows it as output)"))
    if changed := changed_in_tree(root, before):
        runner.finish(Failure(0, f"{path}: the page's run changed files in the project: {changed}"))


def run(path: Path, reuse: bool = True) -> PageRun:
    """Check a page and run it, stopping at the first failure; reuse a stored pass (unless
    `reuse` is False: then it runs, and a pass is stored all the same)."""
    start = time.perf_counter()
    if problem := hash_seed_problem():  # before reuse: a key cannot see how Python started
        return PageRun(path, Failure(0, problem), False, 0.0)
    unit_key, units = key(path), store(path)
    if reuse and units.get(unit_key) is not None:
        return PageRun(path, None, True, 0.0)
    failure = None
    try:
        if problems := page_problems(path):
            first = int(problems[0].removeprefix(f"{path}:").split(":")[0])
            raise Stop(Failure(first, "\n".join(problems)))
        imported: set[str] = set()
        run_in_sandbox(path, page_doctest(path), Runner(stop_at_first=True), imported)
        if problem := install_problems(path.read_text(encoding="utf-8"), imported):
            line, message = problem
            raise Stop(Failure(line, f"{path}:{line}: {message}"))
    except Stop as stop:
        failure = stop.failure
    seconds = time.perf_counter() - start
    if failure is None:
        units.put(unit_key, {"page": str(path), "seconds": round(seconds, 2)})
    return PageRun(path, failure, False, seconds)


# ---- refreshing the shown outputs ---------------------------------------------------------


def _shown(got: str) -> str:
    """The output to show for an example: what it printed or, when it raised, the traceback
    in doctest's form (doctest compares only the exception, not what was printed first)."""
    marker = "Traceback (most recent call last):\n"
    if marker not in got:
        return got
    lines = got.partition(marker)[2].rstrip("\n").split("\n")
    first = next(i for i, line in enumerate(lines) if line and not line.startswith(" "))
    return marker + "  ...\n" + "\n".join(lines[first:]) + "\n"


def _pycon(example: doctest.Example, want: str) -> list[str]:
    code = example.source.rstrip("\n").split("\n")
    lines = [f">>> {code[0]}"] + [f"... {line}" if line else "..." for line in code[1:]]
    lines += [line if line.strip() else "<BLANKLINE>" for line in want.rstrip("\n").split("\n")]
    return lines if want else lines[: len(code)]


def _exception_type(text: str) -> str:
    """The exception's type in a traceback or exception line as doctest shows it: the first
    line that is neither the header nor indented (`ValueError: ...`)."""
    header = "Traceback (most recent call last):"
    lines = [ln for ln in text.split("\n") if ln[:1] not in ("", " ") and ln != header]
    return lines[0].split(":")[0].rsplit(".", 1)[-1] if lines else ""


def _unintended(example: doctest.Example, failure: Failure, got: str) -> str | None:
    """Why a failed example's new output must not be written, or None: a refresh never makes
    an exception nobody asked for into an expected output. A block may show a traceback only
    where it showed one of the same type already."""
    where = failure.message.split(": ", 1)[0]
    if example.exc_msg is None:
        if failure.error is None:
            return None
        return (
            f"{where}: this example raised {type(failure.error).__name__}, and the page shows "
            "no traceback there; nothing was rewritten. Fix the code (a warning is an error "
            "in a page's run), or, to show the traceback on purpose, write its last line as "
            "the expected output first:\n"
            f"{page_traceback(failure.error)}"
        )
    shown, raised = _exception_type(example.exc_msg), _exception_type(_shown(got))
    if "Traceback (most recent call last):" not in got:
        return (
            f"{where}: this example shows a {shown} and now raises nothing; nothing was rewritten"
        )
    if shown != raised:
        return (
            f"{where}: this example shows a {shown} and now raises {raised}; nothing was "
            f"rewritten:\n{_shown(got)}"
        )
    return None


def refresh(path: Path) -> int:
    """Rewrite the output of every pycon block of a page from a real run; return how many
    examples changed. Outputs that still match (an elided `...` included) are kept. An
    exception the page does not show (`_unintended`) rewrites nothing and raises."""
    runner = Runner(stop_at_first=False)
    test = page_doctest(path)
    run_in_sandbox(path, test, runner)
    for failure in runner.found:
        if failure.line == 0:  # about the whole page (a file left behind): nothing to rewrite
            raise RuntimeError(failure.message)
    failures = {failure.line: failure for failure in runner.found}
    for example in test.examples:
        if failure := failures.get(example.lineno + 1):
            if example.source.startswith("exec(compile("):  # a python fence
                raise RuntimeError(failure.message)
            if why := _unintended(example, failure, runner.got.get(id(example), "")):
                raise RuntimeError(why)
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    examples = iter(test.examples)
    changed = 0
    replacements: list[tuple[Block, list[str]]] = []
    for block in blocks_of(path):
        if block.runs:
            next(examples)
        elif block.lang == "pycon":
            new: list[str] = []
            for example in doctest.DocTestParser().get_examples(block.code):
                ran = next(examples)
                want = example.want
                if ran.lineno + 1 in failures:
                    changed += 1
                    want = _shown(runner.got.get(id(ran), ""))
                new += _pycon(example, want)
            replacements.append((block, new))
    for block, new in reversed(replacements):
        first = lines[block.line]  # the first code line carries the container indentation
        indent = first[: len(first) - len(first.lstrip(" \t"))]
        lines[block.line : block.end - 1] = [indent + line if line else line for line in new]
    path.write_text("\n".join(lines), encoding="utf-8")
    return changed
