"""Find and run the code blocks of the site's pages: a pytest plugin and a small CLI.

Every page is read by one parser (`page_blocks`) that sees what a reader sees:

- fences inside content tabs (`=== "Tab"`, `===+`, `===!`) and admonitions (`!!! note`,
  `!!!note`, `??? note`, `???+ note`) are dedented line for line, tab-indented content
  included, so they are found and keep their page line numbers;
- a snippet include line (`--8<-- "snippets/tensors.py:create"`) becomes one line of Python
  that runs that section of the snippet file, compiled under the snippet's own file name and
  line numbers, so a failure points at the snippet file.

Each page is checked before it runs (`page_problems`): every line of a `pycon` block is a
prompt or the output of one, and no doctest directive (`# doctest: +SKIP`) silences a check.

Then each page runs as a reader runs it, top to bottom in one namespace, from one known
global state (`fresh_state`), with warnings as errors:

- `page-in-reading-order` (doctest) runs every block, checking each `pycon` output exactly as
  Python printed it (`...` elides); it is the copy-paste test and the output test in one;
- pytest-markdown-docs gives each `python` fence an item of its own; its runner (`PageOrder`)
  reports how that fence fared in the page's one run, after every block above it, so a fence
  may use any name the page defined before (the page runs once a process: `run_page`);
- `check_on_another_cpu` (tests/test_pages_on_another_cpu.py) runs every page once more in a
  fresh process with `ATEN_CPU_CAPABILITY=default` (no SIMD kernels) and other global random
  seeds: an output that only this CPU prints, or that comes from a generator the page did
  not seed, fails.

`python -m tests.page_blocks PAGE...` rewrites the output shown in the pages' `pycon` blocks
from a real run (outputs are never typed by hand); `--check` runs the pages' tests instead.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import os
import random
import re
import subprocess
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem, _get_checker, _get_runner
from markdown_it import MarkdownIt
from pytest_markdown_docs._runners import DefaultRunner, register_runner
from pytest_markdown_docs.plugin import parse_superfences_block_info

from hooks.snippets import INCLUDE, read_section

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {"root": ROOT}  # where include lines are resolved: pytest's rootdir when under pytest
PYTHON = frozenset({"python", "py", "python3"})
# The openers of Material's containers, as pymdownx.tabbed, admonition and pymdownx.details
# read them; their content is indented by 4 more (a tab counts as 4, as in Python-Markdown).
CONTAINER = re.compile(r"^(?P<indent> *)(?:={3}[+!]{0,2} +\"|!{3} ?[\w-]|\?{3}\+? ?[\w\"-])")
OPTIONFLAGS = doctest.ELLIPSIS  # outputs are compared as printed: line breaks and spacing too
PROMPT = re.compile(r"^(>>>|\.\.\.)( |$)")


def _snippet_line(match: re.Match[str]) -> str:
    """One line of Python that runs the snippet section an include line names."""
    try:
        section = read_section(match["spec"], PROJECT["root"])
    except (LookupError, ValueError) as error:
        return f"raise LookupError({str(error)!r})"
    return f"exec(compile({section.padded!r}, {str(section.path)!r}, 'exec'))"


def _expand_indent(line: str) -> str:
    body = line.lstrip(" \t")
    return line[: len(line) - len(body)].expandtabs(4) + body


def prepare(text: str) -> str:
    """The page as the tests read it: containers dedented, includes made runnable.

    Line for line with the original, so every line number stays the page's own.
    """
    out: list[str] = []
    depths: list[int] = []  # content indentation of each open container
    for raw in text.split("\n"):
        line = _expand_indent(raw)
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if body:
            while depths and indent < depths[-1]:
                depths.pop()
        depth = depths[-1] if depths else 0
        out.append(line[depth:] if body else "")
        if match := CONTAINER.match(line):
            depths.append(len(match["indent"]) + 4)
    return INCLUDE.sub(_snippet_line, "\n".join(out))


class PageParser(MarkdownIt):
    """CommonMark parser that reads pages through `prepare`."""

    def __init__(self) -> None:
        super().__init__("commonmark")

    def parse(self, src: str, env=None):
        return super().parse(prepare(src), env)


class FenceParser(PageParser):
    """The parser handed to pytest-markdown-docs: every python fence runs in page order."""

    def parse(self, src: str, env=None):
        tokens = super().parse(src, env)
        for token in tokens:
            info = parse_superfences_block_info(token.info) or [""]
            if token.type == "fence" and info[0] in PYTHON:
                token.info = "{" + " ".join([f".{info[0]}", *info[1:], "runner:PageOrder"]) + "}"
        return tokens


@dataclass(frozen=True)
class Block:
    lang: str
    options: frozenset[str]
    line: int  # 1-based page line of the opening fence
    end: int  # 1-based page line of the closing fence
    code: str  # what runs: containers dedented, includes made runnable
    include: str | None  # "file:section" when the block embeds a snippet

    @property
    def runs(self) -> bool:
        return self.lang in PYTHON and "notest" not in self.options


def page_blocks(text: str) -> list[Block]:
    """Every fenced code block of a page, in reading order."""
    lines = text.split("\n")
    blocks = []
    for token in PageParser().parse(text):
        if token.type != "fence" or not token.map:
            continue
        info = parse_superfences_block_info(token.info) or [""]
        start, stop = token.map
        include = INCLUDE.search("\n".join(lines[start + 1 : stop - 1]))
        blocks.append(
            Block(
                lang=info[0],
                options=frozenset(info[1:]),
                line=start + 1,
                end=stop,
                code=token.content,
                include=include["spec"] if include else None,
            )
        )
    return blocks


def pycon_problems(block: Block) -> list[str]:
    """What in a pycon block a reader would see but doctest would not check."""
    problems = []
    lines = block.code.rstrip("\n").split("\n")
    for number, line in enumerate(lines, block.line + 1):
        if not line.strip():
            problems.append(
                f"{number}: a blank line in a pycon block ends the output above it, and "
                "doctest reads what follows as prose, unchecked; write <BLANKLINE> for an "
                "empty output line and start the next example with >>>"
            )
    if lines and not lines[0].startswith(">>>"):
        problems.append(f"{block.line + 1}: a pycon block starts with a >>> prompt")
    for example in doctest.DocTestParser().get_examples(block.code):
        if example.options:
            problems.append(
                f"{block.line + 1 + example.lineno}: doctest directives are not allowed on "
                "pages (an output shown must be checked as shown): "
                + example.source.strip().split("\n")[0]
            )
    return problems


def page_problems(path: Path) -> list[str]:
    """Every problem of a page that is not about running it, as 'page:line: message'."""
    return [
        f"{path}:{problem}"
        for block in page_blocks(path.read_text(encoding="utf-8"))
        if block.lang == "pycon"
        for problem in pycon_problems(block)
    ]


def _exec_line(block: Block, filename: str) -> str:
    """The block as one statement (doctest compiles each example as one), page lines kept."""
    padded = "\n" * block.line + block.code
    return f"exec(compile({padded!r}, {filename!r}, 'exec'))\n"


def page_doctest(path: Path) -> doctest.DocTest:
    """The whole page as one doctest: python fences expect no output, pycon blocks theirs."""
    text = path.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    examples: list[doctest.Example] = []
    for block in page_blocks(text):
        if block.runs:
            examples.append(doctest.Example(_exec_line(block, str(path)), "", lineno=block.line))
        elif block.lang == "pycon":
            for example in parser.get_examples(block.code, str(path)):
                example.lineno += block.line
                examples.append(example)
    return doctest.DocTest(examples, {"__name__": "__main__"}, str(path), str(path), 0, text)


def fresh_state(page: str) -> None:
    """Put the global state a page can read back in one known place, whatever ran before.

    The global random generators get a fixed seed (PAGE_TEST_SEED, 0 unless set), so a page
    prints the same whichever worker runs it. `check_on_another_cpu` runs with another seed:
    an output that depends on a generator the page did not seed fails there.
    """
    seed = int(os.environ.get("PAGE_TEST_SEED", "0"))
    random.seed(seed)
    for name in ("numpy", "torch"):  # seeded before the page imports them
        if re.search(rf"^\s*(>>> )?(import|from) {name}\b", page, re.MULTILINE):
            importlib.import_module(name)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.manual_seed(seed)
        torch.set_default_dtype(torch.float32)
        torch.set_grad_enabled(True)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def require_fixed_hash_seed() -> None:
    if sys.flags.hash_randomization:
        raise RuntimeError(
            "page tests need PYTHONHASHSEED=0, or the order of a printed set depends on the "
            "run: `make test` and pytest's xdist workers set it; for `pytest -n 0`, run "
            "`PYTHONHASHSEED=0 pytest -n 0 ...`"
        )


@contextlib.contextmanager
def as_a_reader_runs_it(page: Path):
    """Known global state, a fixed hash seed, and every warning an error."""
    require_fixed_hash_seed()
    fresh_state(page.read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


class PageProblems(Exception):
    pass


@dataclass(frozen=True)
class PageRun:
    failure: BaseException | None  # the first failure, as doctest or the checks raised it
    line: int  # the page line of the failing example (0: the page failed before it ran)


_page_runs: dict[Path, PageRun] = {}


def run_page(path: Path) -> PageRun:
    """Check a page, then run it as one doctest; once per process, for every test of it."""
    if path not in _page_runs:
        failure, line = None, 0
        try:
            if problems := page_problems(path):
                raise PageProblems("\n".join(problems))
            runner = _get_runner(
                checker=_get_checker(), optionflags=OPTIONFLAGS, continue_on_failure=False
            )
            with as_a_reader_runs_it(path):
                runner.run(page_doctest(path), out=[])  # raises at the first failing example
        except (doctest.DocTestFailure, doctest.UnexpectedException) as error:
            failure, line = error, error.example.lineno
        except (PageProblems, RuntimeError) as error:
            failure = error
        _page_runs[path] = PageRun(failure, line)
    return _page_runs[path]


class PageItem(DoctestItem):
    """page-in-reading-order: the page's static checks, then the page as one doctest."""

    def runtest(self) -> None:
        if (failure := run_page(self.path).failure) is not None:
            raise failure

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, PageProblems | RuntimeError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


ANOTHER_CPU = {"ATEN_CPU_CAPABILITY": "default", "PAGE_TEST_SEED": "1", "PYTHONHASHSEED": "0"}


def check_on_another_cpu(pages: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run pages again in one fresh process, without this CPU's SIMD kernels and with other
    seeds in the global random generators; its output names each page that fails."""
    command = [sys.executable, "-m", "tests.page_blocks", "--check", *map(str, pages)]
    env = {**os.environ, **ANOTHER_CPU}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


class PageFile(pytest.File):
    def collect(self):
        test = page_doctest(self.path)
        if test.examples:
            runner = _get_runner(checker=_get_checker(), optionflags=OPTIONFLAGS)
            yield PageItem.from_parent(
                self, name="page-in-reading-order", runner=runner, dtest=test
            )


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".md":
        return PageFile.from_parent(parent, path=file_path)
    return None


def pytest_configure(config) -> None:
    PROJECT["root"] = Path(config.rootpath)
    # Inherited by xdist's workers and by every subprocess the tests start (builds, kernels).
    os.environ.setdefault("PYTHONHASHSEED", "0")
    # Small models train fastest with one thread a process on 2 cores (DESIGN.md).
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.hookimpl(tryfirst=True)
def pytest_markdown_docs_markdown_it() -> MarkdownIt:
    return FenceParser()


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the census line (tests/test_census.py), from whichever worker ran it."""
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "census" and report.when == "call":
                terminalreporter.write_line(value)


# ---- python fences, run in page order (pytest-markdown-docs) ---------------------------


@register_runner()
class PageOrder(DefaultRunner):
    """A python fence's own test: how the fence fared in the page's one run (`run_page`),
    in which it ran after every block above it, in the page's one namespace."""

    def runtest(self, test, args, *, asyncio_runner=None) -> None:
        path = Path(test.source_path)
        run = run_page(path)
        if run.failure is None or run.line > test.start_line:
            return
        if run.line < test.start_line:
            raise RuntimeError(
                f"{path}:{run.line + 1}: an earlier block failed, so this fence (line "
                f"{test.start_line}) never ran; the page-in-reading-order test shows why"
            )
        if isinstance(run.failure, doctest.UnexpectedException):
            _, error, tb = run.failure.exc_info
            raise error.with_traceback(tb)
        raise AssertionError(
            f"{path}:{test.start_line + 1}: this fence printed output that the page does "
            f"not show:\n{run.failure.got}"
        )


# ---- refreshing the shown outputs, and checking pages from the command line -------------


def _run(example: doctest.Example, globs: dict, filename: str) -> str:
    """What doctest would see: the printed output, or the exception in doctest's form."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        try:
            exec(compile(example.source, filename, "single"), globs)
        except Exception as error:  # shown on the page as a traceback
            last = traceback.format_exception_only(error)[-1]
            return buffer.getvalue() + "Traceback (most recent call last):\n  ...\n" + last
    return buffer.getvalue()


def _pycon(example: doctest.Example, want: str) -> list[str]:
    code = example.source.rstrip("\n").split("\n")
    lines = [f">>> {code[0]}"] + [f"... {line}" if line else "..." for line in code[1:]]
    lines += [line if line.strip() else "<BLANKLINE>" for line in want.rstrip("\n").split("\n")]
    return lines if want else lines[: len(code)]


def refresh(path: Path) -> int:
    """Rewrite the output of every pycon block of a page from a real run; return how many
    examples changed. Outputs that still match (an elided `...` included) are kept."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    checker = doctest.OutputChecker()
    parser = doctest.DocTestParser()
    globs: dict = {"__name__": "__main__"}
    changed = 0
    replacements: list[tuple[Block, list[str]]] = []
    with as_a_reader_runs_it(path):
        for block in page_blocks(text):
            if block.runs:
                exec(_exec_line(block, str(path)), globs)
            elif block.lang == "pycon":
                new: list[str] = []
                for example in parser.get_examples(block.code, str(path)):
                    got = _run(example, globs, str(path))
                    want = example.want
                    if example.exc_msg is not None or got.startswith("Traceback"):
                        same = example.exc_msg is not None and got.endswith(example.exc_msg)
                    else:
                        same = checker.check_output(want, got, OPTIONFLAGS)
                    if not same:
                        changed += 1
                        want = got
                    new += _pycon(example, want)
                replacements.append((block, new))
    for block, new in reversed(replacements):
        first = lines[block.line]  # the first code line carries the container indentation
        indent = first[: len(first) - len(first.lstrip(" "))]
        lines[block.line : block.end - 1] = [indent + line if line else line for line in new]
    path.write_text("\n".join(lines), encoding="utf-8")
    return changed


def check(path: Path) -> bool:
    """Run a page's checks and its doctest here; print what fails; True if all passes."""
    if problems := page_problems(path):
        print("\n".join(problems))
        return False
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    with as_a_reader_runs_it(path):
        result = runner.run(page_doctest(path))
    if result.failed:
        print(f"{path}: {result.failed} of {result.attempted} examples failed")
    return result.failed == 0


USAGE = """\
usage: python -m tests.page_blocks [--check] PAGE.md [PAGE.md ...]
rewrites the output shown in each page's pycon blocks from a real run;
with --check, runs each page's tests instead and exits 1 if one fails"""


def main(argv: list[str]) -> int:
    checking = argv[:1] == ["--check"]
    pages = argv[1:] if checking else argv
    if not pages or any(arg.startswith("-") or not arg.endswith(".md") for arg in pages):
        print(USAGE, file=sys.stderr)
        return 2
    for arg in pages:
        if not Path(arg).is_file():
            print(f"no such page: {arg}", file=sys.stderr)
            return 2
    if checking:
        return 0 if all([check(Path(arg)) for arg in pages]) else 1
    for arg in pages:
        print(f"{arg}: {refresh(Path(arg))} output(s) rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
