"""The machinery fails loudly: each broken case is fed to it and the message must say where.
And the reverse: a page that uses every form Material renders passes, so nobody is pushed
toward a workaround.

- a page block that raises, or shows the wrong output, fails with the page path and line,
  inside any container Material renders (tabs in each form, admonitions, md_in_html);
- an output that doctest would not check fails: a directive, text after a blank line, line
  breaks other than Python's, an output only this CPU prints, a page run without a fixed
  hash seed; so does a warning, an empty snippet section, a snippet section that rebinds a
  name the page defined, and a traceback shown before the end of its block;
- `make outputs` refuses to write an exception the page does not show (one raised by
  accident, a warning, a loop that stopped halfway, a traceback of another type) and
  rewrites nothing;
- the sandbox: a block past its time limit, a connection attempt, a file left in the
  project, global state left by another page, an output that depends on the hash seed or
  the date;
- the census fails, naming the page and line, on a block it parsed differently from the
  built page, and on a notest fence whose reason a reader cannot see;
- a misspelt snippet file or section fails the build naming the page, file and section;
  so do a page named .markdown and a fenced block in a notebook's Markdown cell;
- a link to a missing page or anchor fails the strict build;
- an example that raises, hangs, connects, writes into the project, draws a huge figure or
  tags a cell `raises-exception` fails the build naming its line; so does a figure without
  alt text.

Each case costs what it needs: pages run through the engine's runner in this process, small
sites build in this process; a subprocess only where the case is about one (pytest's items
and exit code, the hash seed a process starts with, the other-CPU run).
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from engine import pages
from engine.__main__ import main
from engine.blocks import FenceParser
from engine.census import compare_blocks, example_census, page_census, summary
from engine.plugin import collect_page_items
from engine.site import ROOT
from tests.conftest import write

# These cases test the machinery, so a pass stands while the machinery is unchanged.
pytestmark = pytest.mark.reuse_pass(
    "engine/*.py", "hooks/*.py", "mkdocs.yml", "overrides/**/*", "tests/conftest.py",
    "tests/test_failures.py", "requirements.txt",
)  # fmt: skip

DEMO_SNIPPET = """\
\"\"\"Code for the test pages.\"\"\"

# --8<-- [start:one]
import math

value = math.sqrt(16)
# --8<-- [end:one]
"""


def write_page(tmp_path: Path, text: str, name: str = "broken.md") -> Path:
    write(tmp_path, {name: text, "snippets/demo.py": DEMO_SNIPPET})
    return tmp_path / name


def failure_of(page: Path) -> str:
    """The page's run through the engine's runner (as its tests run it): the message."""
    run = pages.run(page)
    assert run.failure is not None, f"{page.name} passed"
    return run.failure.message


def run_pytest_on(*paths: Path, root: Path, hash_seed: str | None = "0"):
    """Run this project's page tests on pages of another project, as `make test` would."""
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONHASHSEED"}
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    command = [
        sys.executable, "-m", "pytest", "-p", "engine.plugin", "--markdown-docs",
        "--markdown-docs-syntax=superfences", "-n", "0", "-p", "no:cacheprovider",
        "--rootdir", str(root), "-c", str(root / "pytest.ini"), *map(str, paths),
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def on_another_cpu(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "engine", "check", "--another-cpu", *map(str, paths)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


# ---- pytest's items: one subprocess for what only pytest can show -----------------------


def test_pytest_items_fail_with_page_and_line_and_hash_seed_is_required(tmp_path):
    page = write_page(
        tmp_path,
        """\
        # Broken

        ```python
        numbers = [1, 2, 3]
        ```

        === "A tab"

            ```{.python continuation}
            total = sum(numbers)
            raise ValueError("broken in a tab")
            ```

        ```python
        after = 1
        ```
        """,
    )
    seeded = write_page(tmp_path, '```pycon\n>>> {"b", "a"} == {"a", "b"}\nTrue\n```\n', "ok.md")
    result = run_pytest_on(page, seeded, root=tmp_path)
    out = result.stdout
    assert result.returncode == 1, out
    # pytest-markdown-docs collected the fence inside the tab, and points at page line 11
    assert "broken.md::[CodeFence#2][line:9]" in out
    assert f'File "{page}", line 11, in <module>' in out
    assert "ValueError: broken in a tab" in out
    # the page's own test fails at the same block; the fence after it names that block
    assert f"{page}:10: this block raised" in out
    assert f"(so the fence at {page}:15 never ran" in out
    assert "3 failed, 2 passed" in out  # ok.md passes with the hash seed fixed, and
    # without it the page refuses to run, saying how to run it
    result = run_pytest_on(seeded, root=tmp_path, hash_seed=None)
    assert result.returncode == 1
    assert "page runs need PYTHONHASHSEED=0" in result.stdout


# ---- pages, through the engine's runner in this process ---------------------------------


def test_a_wrong_shown_output_fails_with_page_line_expected_and_got(tmp_path):
    page = write_page(
        tmp_path,
        """\
        # Broken

        Text.

        ```pycon
        >>> 1 + 1
        2
        >>> [1, 2, 3][-1]
        4
        ```
        """,
    )
    message = failure_of(page)
    assert message.startswith(f"{page}:8: the output differs")
    assert "Expected:\n    4\nGot:\n    3" in message


def test_a_misspelt_section_inside_a_fence_fails_the_page_test_naming_it(tmp_path):
    page = write_page(tmp_path, '```python\n--8<-- "snippets/demo.py:eno"\n```\n')
    assert "snippet file 'snippets/demo.py' has no section 'eno' (its sections: one)" in (
        failure_of(page)
    )


BROKEN_PAGES = {
    "a doctest directive": (
        "```pycon\n>>> 1 + 1  # doctest: +SKIP\n3\n```\n",
        "broken.md:2: doctest directives are not allowed on pages",
    ),
    "text after a blank line": (
        '```pycon\n>>> 1 + 1\n2\n\nstale = "never checked"\n```\n',
        "broken.md:4: a blank line in a pycon block ends the output above it",
    ),
    "an output with other line breaks": (
        "```pycon\n>>> list(range(3))\n[0,\n 1, 2]\n```\n",
        "broken.md:2: the output differs",
    ),
    "a warning from page code": (
        '```python\nimport warnings\n\nwarnings.warn("going away", UserWarning, stacklevel=1)\n'
        "```\n",
        "UserWarning: going away",
    ),
    "an empty snippet section": (
        '```python\n--8<-- "snippets/demo.py:empty"\n```\n',
        "section 'empty' has no code",
    ),
    "a block past its time limit": (
        "```python\nimport time\n\ntime.sleep(5)\n```\n",
        "broken.md:2: this block raised",
    ),
    "a connection attempt": (
        '```python\nimport socket\n\nsocket.create_connection(("127.0.0.1", 9), timeout=1)\n```\n',
        "tried to connect to ('127.0.0.1', 9): pages and examples run offline",
    ),
    "a file written into the project": (
        '```python\nfrom pathlib import Path\n\nPath("{root}", "LEAKED.txt").write_text("x")\n'
        "```\n",
        "the page's run changed files in the project: ['LEAKED.txt']",
    ),
    "a snippet file overwritten": (
        '```python\nfrom pathlib import Path\n\nPath("{root}", "snippets", "demo.py").touch()\n'
        "```\n",
        "the page's run changed files in the project: ['snippets/demo.py']",
    ),
    "a connection the page catches": (
        "```python\nimport socket\n\ntry:\n    socket.create_connection(('127.0.0.1', 9))\n"
        "except OSError:\n    pass\n```\n",
        "tried to connect to ('127.0.0.1', 9): pages and examples run offline (no downloads, "
        "no servers); generate the data or use what scikit-learn ships (the page caught it",
    ),
    "a timeout the page catches": (
        "```python\nimport time\n\ntry:\n    time.sleep(3)\nexcept Exception:\n    pass\n```\n",
        "broken.md:2: this block ran past 1 s (ENGINE_BLOCK_TIMEOUT); keep page code short",
    ),
    "a traceback before the end of its block": (
        "```pycon\n>>> [][0]\nTraceback (most recent call last):\n  ...\n"
        "IndexError: list index out of range\n>>> 1\n1\n```\n",
        "broken.md:2: an example that shows a traceback ends its block",
    ),
    "a snippet section that rebinds a page's name": (
        '```python\nvalue = "the page\'s"\n```\n\n```python\n--8<-- "snippets/demo.py:one"\n```\n',
        "broken.md:6: the snippet section snippets/demo.py:one rebinds value, defined on the "
        "page before it",
    ),
    "an install line without a package the page imports": (
        "Run with `pip install pillow`.\n\n```python\nimport torch\n```\n",
        "broken.md:1: the install lines (`pip install pillow`) are wrong: add torch: the page's "
        "run imports it; drop pillow: nothing on the page imports it",
    ),
    "numpy imported by the page, though torch also tries it": (
        "Run with `pip install torch`.\n\n```python\nimport numpy\nimport torch\n```\n",
        "broken.md:1: the install lines (`pip install torch`) are wrong: add numpy: the page's "
        "run imports it",
    ),
    "imports and no install line": (
        "```python\nimport torch\n```\n",
        "broken.md:1: the page runs code that imports torch, and gives no `pip install ...` line",
    ),
    "a project module imported": (
        "```python\nimport snippets.demo\n```\n",
        "ModuleNotFoundError: No module named 'snippets",
    ),
}


@pytest.mark.parametrize(("text", "message"), BROKEN_PAGES.values(), ids=BROKEN_PAGES)
def test_an_unchecked_output_a_warning_or_an_escape_fails_the_page(
    tmp_path, monkeypatch, text, message
):
    monkeypatch.setenv("ENGINE_BLOCK_TIMEOUT", "1")
    project = tmp_path / "project"
    page = write_page(project, text.replace("{root}", str(project)))
    if "demo.py:empty" in text:
        snippet = project / "snippets" / "demo.py"
        snippet.write_text(
            snippet.read_text() + "\n# --8<-- [start:empty]\n# nothing\n# --8<-- [end:empty]\n"
        )
    found = failure_of(page)
    assert message in found, found
    if "sleep" in text:
        assert "this block ran past 1 s (ENGINE_BLOCK_TIMEOUT)" in found
    assert not list(project.glob("*.txt")) or "LEAKED" in text


def test_a_relative_path_stays_in_the_scratch_folder(tmp_path):
    page = write_page(
        tmp_path / "project",
        '```python\nfrom pathlib import Path\n\nPath("../LEAKED.txt").write_text("x")\n```\n',
    )
    assert pages.run(page).failure is None
    assert not list(tmp_path.rglob("LEAKED.txt"))


CONTAINERS = {
    "===+ tab": '===+ "Tab"\n\n    ```python\n    {code}\n    ```\n',
    "===! tab": '===! "Tab"\n\n    ```python\n    {code}\n    ```\n',
    "!!!note without a space": "!!!note\n    ```python\n    {code}\n    ```\n",
    "???+ details": '???+ note "Open"\n    ```python\n    {code}\n    ```\n',
    "tab-indented admonition": "!!! note\n\t```python\n\t{code}\n\t```\n",
    "annotated fence": "```{{.python .annotate}}\n{code}  # (1)!\n```\n\n1. A note.\n",
    "fence with an id and a class": "```{{.python #here .no-copy}}\n{code}\n```\n",
    "md_in_html block": "<div markdown>\n\n```python\n{code}\n```\n\n</div>\n",
}


@pytest.mark.parametrize("container", CONTAINERS.values(), ids=CONTAINERS)
def test_a_raising_fence_in_any_container_fails_with_page_and_line(tmp_path, container):
    text = "# Broken\n\n" + container.format(code='raise ValueError("hidden")')
    page = tmp_path / "broken.md"
    page.write_text(text, encoding="utf-8")
    line = text.split("\n").index(next(ln for ln in text.split("\n") if "raise" in ln)) + 1
    # the fence is one pytest-markdown-docs collects, and the page's run fails at its line
    fences = [t for t in FenceParser(tmp_path).parse(text) if t.type == "fence"]
    assert [t.map[0] + 1 for t in fences] == [line - 1]
    assert "runner:PageOrder" in fences[0].info
    message = failure_of(page)
    assert f'File "{page}", line {line}' in message
    assert "ValueError: hidden" in message


# ---- the other-CPU run: one process for the three cases (each start imports torch) -----

TODAY = datetime.date.today()
WORDS = {"pear", "apple", "fig", "kiwi", "lime", "plum", "date", "yuzu"}
UNSEEDED = """\
```pycon
>>> import random
>>> round(random.random(), 6)
0.844422
```
"""
ANOTHER_CPU_PAGES = {
    # a page that seeds before it draws passes after any page; one that does not, fails
    "a.md": "```pycon\n>>> import random\n>>> random.seed(5)\n```\n",
    "b.md": UNSEEDED.replace(">>> round", ">>> random.seed(0)\n>>> round"),
    "unseeded.md": UNSEEDED,
    # what this process prints: its hash seed is the page tests' (0), and it is today
    "set.md": f"```pycon\n>>> {sorted(WORDS)!r}[0]\n'apple'\n>>> set({sorted(WORDS)!r})\n"
    f"{set(sorted(WORDS))!r}\n```\n",
    "today.md": f"```pycon\n>>> import datetime\n>>> str(datetime.date.today())\n'{TODAY}'\n```\n",
    "now.md": "```pycon\n>>> import datetime\n>>> datetime.datetime.now().year > 2000\n"
    f"True\n>>> datetime.datetime.now().strftime('%Y-%m-%d')\n'{TODAY}'\n```\n",
    # its output filled in by a refresh on this CPU
    "simd.md": "Run with `pip install torch`.\n\n```pycon\n>>> import torch\n"
    ">>> _ = torch.manual_seed(0)\n>>> torch.randn(10000).sum().item()\n```\n",
}


@pytest.fixture(scope="session")
def another_cpu(tmp_path_factory, worker_id) -> tuple[Path, str]:
    """The pages above, and what one other-CPU run over all of them printed: run by the
    first xdist worker that asks, read by the other."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent
    folder, report = shared / "another-cpu-cases", shared / "another-cpu-cases.txt"
    with FileLock(str(shared / "another-cpu-cases.lock")):
        if not report.exists():
            write(folder, ANOTHER_CPU_PAGES)
            pages.refresh(folder / "simd.md")  # the output this CPU prints, as `make outputs`
            result = on_another_cpu(*(folder / name for name in ANOTHER_CPU_PAGES))
            report.write_text(result.stdout, encoding="utf-8")
    return folder, report.read_text(encoding="utf-8")


def test_a_page_prints_the_same_after_any_page_and_fails_if_it_does_not_seed(another_cpu):
    folder, printed = another_cpu
    names = ("a.md", "b.md", "unseeded.md")
    for order in (names, names[::-1]):  # the same outputs, whatever ran before
        for name in order:
            assert pages.run(folder / name, reuse=False).failure is None, name
    assert f"{folder / 'b.md'}: passed" in printed
    assert f"{folder / 'unseeded.md'}: FAILED" in printed
    assert f"{folder / 'unseeded.md'}:3: the output differs" in printed


def test_state_another_page_left_behind_does_not_change_a_page(tmp_path):
    write(
        tmp_path,
        {
            "leaks.md": """\
                Run with `pip install torch numpy`.

                ```pycon
                >>> import torch
                >>> torch.set_printoptions(precision=2)
                >>> torch.set_default_dtype(torch.float64)
                >>> _ = torch.set_grad_enabled(False)
                >>> torch.set_default_device("meta")
                >>> import numpy as np
                >>> np.set_printoptions(precision=2)
                >>> np.array([1 / 3])
                array([0.33])
                ```
                """,
            "victim.md": """\
                Run with `pip install torch numpy`.

                ```pycon
                >>> import torch
                >>> torch.tensor([1 / 3])
                tensor([0.3333])
                >>> torch.is_grad_enabled()
                True
                >>> import numpy as np
                >>> np.array([1 / 3])
                array([0.33333333])
                ```
                """,
        },
    )
    for name in ("leaks.md", "victim.md", "leaks.md", "victim.md"):
        run = pages.run(tmp_path / name, reuse=False)
        assert run.failure is None, run.failure


def test_outputs_that_depend_on_the_hash_seed_or_the_date_fail_on_another_cpu(another_cpu):
    folder, printed = another_cpu
    for name in ("set.md", "today.md", "now.md"):
        assert pages.run(folder / name).failure is None, name
    assert f"{folder / 'set.md'}:4: the output differs" in printed
    assert f"{folder / 'today.md'}:3: the output differs" in printed
    assert f"{folder / 'now.md'}:5: the output differs" in printed


def test_an_output_that_only_this_cpu_prints_fails_on_another_cpu(another_cpu):
    folder, printed = another_cpu
    page = folder / "simd.md"
    assert pages.run(page).failure is None  # on this CPU
    if f"{page}: passed" in printed:
        pytest.skip("this CPU's fastest kernels sum in the same order as the default ones")
    assert f"{page}:6: the output differs" in printed


# ---- make outputs: a refresh never writes an exception nobody asked for ---------------

UNINTENDED = {
    "an exception the page does not show": (
        "```pycon\n>>> labels = [1, 2]\n>>> labels[5]\n>>> len(labels)\n2\n```\n",
        "broken.md:3: this example raised IndexError, and the page shows no traceback there",
    ),
    "a warning, which is an error in a page's run": (
        "```pycon\n>>> import numpy as np\n>>> np.ones(1) / 0\narray([inf])\n```\n",
        "broken.md:3: this example raised RuntimeWarning",
    ),
    "a loop that raised halfway": (
        "```pycon\n>>> total = 0\n>>> for n in [1, 2, 'three']:\n...     total += n\n"
        ">>> total\n6\n```\n",
        "broken.md:3: this example raised TypeError",
    ),
    "a traceback of another type": (
        "```pycon\n>>> int('x')\nTraceback (most recent call last):\n  ...\nTypeError: old\n```\n",
        "broken.md:2: this example shows a TypeError and now raises ValueError",
    ),
    "a traceback that is no longer raised": (
        "```pycon\n>>> int('1')\nTraceback (most recent call last):\n  ...\nValueError: old\n```\n",
        "broken.md:2: this example shows a ValueError and now raises nothing",
    ),
}


@pytest.mark.parametrize(("text", "message"), UNINTENDED.values(), ids=UNINTENDED)
def test_make_outputs_fails_on_an_unintended_exception_and_rewrites_nothing(
    tmp_path, capsys, text, message
):
    page = write_page(tmp_path, text)
    assert main(["refresh", str(page)]) == 1
    assert message in capsys.readouterr().err
    assert page.read_text(encoding="utf-8") == text


# ---- the build, in this process ------------------------------------------------------------


def test_a_misspelt_snippet_section_fails_the_build_naming_page_file_and_section(project, build):
    config = project(
        {
            "docs/index.md": '# Home\n\n```python\n--8<-- "snippets/demo.py:setpu"\n```\n',
            "snippets/demo.py": "# --8<-- [start:setup]\nx = 1\n# --8<-- [end:setup]\n",
        },
        nav=["index.md"],
        hooks=["snippets.py"],
    )
    passed, log = build(config)
    assert not passed
    assert (
        "docs/index.md:4: snippet file 'snippets/demo.py' has no section 'setpu' "
        "(its sections: setup)" in log
    )


def test_a_missing_snippet_file_fails_the_build_naming_it(project, build):
    config = project(
        {"docs/index.md": '# Home\n\n```python\n--8<-- "snippets/nope.py:setup"\n```\n'},
        nav=["index.md"],
        hooks=["snippets.py"],
    )
    passed, log = build(config)
    assert not passed
    assert "docs/index.md:4: snippet file 'snippets/nope.py' does not exist" in log


def test_a_broken_link_or_anchor_fails_the_strict_build(project, build):
    config = project(
        {
            "docs/index.md": "# Home\n\n[A](other.md#nowhere) and [B](missing.md).\n",
            "docs/other.md": "# Other\n\n## Somewhere\n",
        },
        nav=["index.md", "other.md"],
        hooks=[],
    )
    passed, log = build(config)
    assert not passed
    assert "does not contain an anchor '#nowhere'" in log
    assert "contains a link 'missing.md', but the target is not found" in log


def test_a_page_named_markdown_fails_the_build(project, build):
    config = project(
        {"docs/index.md": "# Home\n", "docs/other.markdown": "# Other\n"},
        nav=["index.md", "other.markdown"],
        hooks=["snippets.py"],
    )
    passed, log = build(config)
    assert not passed
    assert "docs/other.markdown: name the page .md; only .md pages are tested" in log


BROKEN_EXAMPLES = {
    "a cell that raises": (
        '# %%\nprint("this cell runs")\n\n# %%\nratio = 1 / 0\n',
        "examples/broken.py:5: this cell raised ZeroDivisionError: division by zero",
    ),
    "a fenced code block in a Markdown cell": (
        '# %% [markdown]\n# Run this:\n#\n# ```python\n# print("never run")\n# ```\n\n'
        '# %%\nprint("this cell runs")\n',
        "examples/broken.py:4: a fenced code block in a Markdown cell is shown as code",
    ),
    "a figure without alt text": (
        "# %%\nimport matplotlib.pyplot as plt\n\nplt.plot([1, 2, 3])\nplt.show()\n",
        "examples/broken.py:1: this cell draws a figure without alt text",
    ),
    "a cell past its time limit": (
        '# %%\nprint("first")\n\n# %%\nimport time\n\ntime.sleep(30)\n',
        "examples/broken.py:5: this cell ran past 3 s (ENGINE_CELL_TIMEOUT)",
    ),
    "a connection attempt": (
        '# %%\nimport socket\n\nsocket.create_connection(("127.0.0.1", 9), timeout=1)\n',
        "examples/broken.py:4: this cell raised ConnectionRefusedError: examples/broken.py "
        "tried to connect to ('127.0.0.1', 9): pages and examples run offline",
    ),
    "a file written into the project": (
        '# %%\nfrom pathlib import Path\n\nPath("{root}", "LEAKED.txt").write_text("x")\n',
        "examples/broken.py: the run changed files in the project: ['LEAKED.txt']",
    ),
    "a huge figure": (
        '# %% alt="Far too many digits, drawn side by side"\n'
        "import matplotlib.pyplot as plt\n\nplt.figure(figsize=(300, 2))\nplt.plot(range(9))\n"
        "plt.show()\n",
        "pixels; cap what a figure draws (a broken run can make one huge)",
    ),
    "a connection the program catches": (
        "# %%\nimport socket\n\ntry:\n    socket.create_connection(('127.0.0.1', 9))\n"
        "except OSError:\n    pass\n",
        "examples/broken.py tried to connect to ('127.0.0.1', 9): pages and examples run "
        "offline (no downloads, no servers); generate the data or use what scikit-learn ships "
        "(the program caught it)",
    ),
    "a kernel that dies": (
        '# %%\nprint("first")\n\n# %%\nimport os\n\nos._exit(3)\n',
        "examples/broken.py:5: the kernel died while this cell ran",
    ),
    "alt text on a cell that draws nothing": (
        '# %% alt="A figure that is never drawn"\nx = 1\n',
        "examples/broken.py:1: this cell has alt text for one figure but draws 0",
    ),
    "a cell tagged raises-exception": (
        '# %% tags=["raises-exception"]\nraise ValueError("shown on purpose")\n',
        "examples/broken.py:1: a cell tagged raises-exception",
    ),
}


@pytest.mark.parametrize(("program", "message"), BROKEN_EXAMPLES.values(), ids=BROKEN_EXAMPLES)
def test_a_broken_example_fails_the_build(tmp_path, monkeypatch, project, build, program, message):
    monkeypatch.setenv("ENGINE_CELL_TIMEOUT", "3")
    config = project(
        {
            "docs/index.md": "# Home\n",
            "examples/broken.py": program.replace("{root}", str(tmp_path)),
        },
        nav=["index.md", "examples/broken.py"],
        hooks=["notebooks.py", "notebook_css.py"],
    )
    passed, log = build(config)
    assert not passed, log
    assert message in log


# ---- the census: block by block, and reasons a reader can see ---------------------------


def test_the_census_names_the_block_it_parsed_differently_from_the_built_page(tmp_path):
    page = tmp_path / "docs" / "page.md"
    write(tmp_path, {"docs/page.md": "```python\nfirst = 1\n```\n\n```python\nsecond = 2\n```\n"})
    # The same number of blocks, but the second one shown is not the second one parsed.
    html = "".join(
        f'<div class="language-python highlight"><pre><span></span><code>{code}\n</code></pre>'
        "</div>"
        for code in ("first = 1", "hidden = 3")
    )
    with pytest.raises(AssertionError, match=r"docs/page.md:5: the census parsed a python"):
        compare_blocks(page, html, tmp_path)
    with pytest.raises(AssertionError, match=r"docs/page.md: the built page shows a python"):
        compare_blocks(page, html.replace("hidden = 3", "second = 2") * 2, tmp_path)


def test_a_notest_reason_hidden_in_a_comment_fails_the_census(project, build, tmp_path):
    page = """\
        # Home

        <!-- Not run here, because it needs a TPU. -->

        ```{.python notest}
        import torch_xla
        ```
        """
    config = project({"docs/index.md": page}, ["index.md"], hooks=["snippets.py", "pycon.py"])
    passed, log = build(config)
    assert passed, log
    with pytest.raises(AssertionError, match=r"docs/index.md:5: notest fence without its own"):
        page_census(tmp_path / "docs" / "index.md", tmp_path / "site", set())


# ---- correct pages pass: every form Material renders, run and counted ---------------------

# One line of output that reaches the notebook as two stream messages.
SPLIT_PRINT = """\
import sys
import time

print("printed in", end="")
sys.stdout.flush()
time.sleep(0.3)
print(" two parts")
"""

CORRECT_PAGE = """\
    # A part

    Fences in every container Material renders, all run in page order.

    ```pycon
    >>> from_pycon = "pycon"
    ```

    ```python
    from_fence = from_pycon.upper()  # a python fence sees what a pycon block defined
    ```

    ===+ "First tab"

        ```python
        tab_plus = 1
        ```

    ===! "Another set"

        ```python
        tab_bang = 2
        ```

    !!!note
        ```python
        note = 3
        ```

    ???+ tip "Open"
    \t```python
    \ttab_indented = 4
    \t```

    ```{.python .annotate}
    annotated = 5  # (1)!
    ```

    1. Code annotations are good teaching.

    ```{.python #with-id .no-copy}
    with_id = 6
    ```

    <div markdown>

    ```python
    in_html = 7
    ```

    </div>

    <!--
    ```python
    raise SystemExit("a commented-out block is not shown, so it is not run or counted")
    ```
    -->

    ```python
    --8<-- 'snippets/demo.py:one'
    ```

    ```python
    --8<-- "snippets/whole.py"
    ```

    Not run here, because it needs a TPU and this is a test page.

    ```{.python notest}
    import torch_xla
    ```

    ```pycon
    >>> from_fence, tab_plus, tab_bang, note, tab_indented, annotated, with_id, in_html
    ('PYCON', 1, 2, 3, 4, 5, 6, 7)
    >>> value, whole
    (4.0, 'whole')
    ```
    """


def test_a_page_using_every_form_material_renders_passes_the_tests_and_the_census(
    tmp_path, project, build
):
    files = {
        "docs/index.md": "# Home\n",
        "docs/part/index.md": CORRECT_PAGE,
        "docs/examples/notes.md": "# Named like a folder\n\n```pycon\n>>> 2 * 3\n6\n```\n",
        "snippets/demo.py": DEMO_SNIPPET,
        "snippets/whole.py": '"""A whole file."""\n\n# --8<-- [start:it]\nwhole = "whole"\n'
        "# --8<-- [end:it]\n",
        "examples/demo.py": "# %%\nx = 1\n\n# %%\n\n# %%\nprint(x)\n\n# %%\n" + SPLIT_PRINT,
    }
    config = project(
        files,
        ["index.md", "part/index.md", "examples/notes.md", "examples/demo.py"],
        hooks=["snippets.py", "pycon.py", "notebooks.py", "notebook_css.py"],
    )
    passed, log = build(config)
    assert passed, log
    site, docs = tmp_path / "site", tmp_path / "docs"
    collected = collect_page_items(docs, tmp_path)
    counts = [page_census(page, site, collected) for page in sorted(docs.rglob("*.md"))]
    counts.append(example_census(tmp_path / "examples" / "demo.py", site))
    line = summary(counts)
    assert "census: 13 of 14 page code blocks exercised (13 executed, 0 shell/text" in line
    assert "0 shown outputs unchecked; 3 of 3 notebook cells executed; 1 not runnable" in line
    assert "1 x not run: it needs a TPU and this is a test page" in line
    # a text the kernel sent in two messages is shown as printed, in one piece
    notebook = (site / "examples" / "demo" / "index.html").read_text("utf-8")
    assert "<pre data-search-exclude>printed in two parts\n</pre>" in notebook
    for page in sorted(docs.rglob("*.md")):
        assert pages.run(page).failure is None, page
