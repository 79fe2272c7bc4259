"""Render the programs in examples/ as notebook pages, from their executed notebooks.

The engine executes each example once per content key (engine/notebooks.py); this hook
renders what it stored, and executes nothing itself but the stale examples (side by side,
one kernel a core), logging which ran. mkdocs-jupyter renders each page from a copy of the
executed notebook prepared for reading (`for_reading`):

- snippet section markers (`# --8<-- [start:fit]`), which let a chapter embed part of an
  example, leave its code cells (the downloaded program keeps them);
- a text printed in several stream messages (the kernel flushes on a timer) is one output;
- each figure becomes a WebP file beside the page, shown with the alt text its cell gives in
  jupytext metadata, `# %% alt="What the figure shows"`; a figure without one fails the build.

The rendered page keeps only copy-button scripts (nbconvert adds CDN loaders), gives code
the site's colours, and leaves code cells and outputs out of the search index: the index
holds the page's prose, while the chapters hold the code they teach.

Each example page offers the program and the executed notebook for download
(overrides/partials/actions.html), and records its run time and Python version in
`page.meta` for the tested-with line (hooks/tested_with.py). A fenced code block in a
Markdown cell (shown as code, never run) and a heading with code (mkdocs-jupyter's table
of contents drops it) fail the build, naming the program's line.
"""

from __future__ import annotations

import base64
import copy
import html
import io
import logging
import re
from pathlib import Path

import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from nbconvert.preprocessors import CoalesceStreamsPreprocessor
from PIL import Image

from engine import notebooks
from engine.sandbox import apply_environment
from engine.snippets import MARKER

log = logging.getLogger("mkdocs.hooks.notebooks")
MARKDOWN_FENCE = re.compile(r"^#\s*(```|~~~)")
CODE_HEADING = re.compile(r"^# #{1,6} .*`")
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>\s*", re.DOTALL)
NAME_SPAN = re.compile(r'<span class="n">([^<]*)</span>')
CODE_CELL = re.compile(r'<div class="highlight-ipynb hl-([\w-]+)"><pre>')
PRE = re.compile(r"<pre\b")
# Text of a code cell outside its <pre>: the copy button's text and notice, the prompts.
SEARCH_EXCLUDED = (
    '<div class="clipboard-copy-txt"',
    '<span class="notice"',
    '<div class="jp-InputPrompt',
    '<div class="jp-OutputPrompt',
)
MAX_FIGURE_PIXELS = 4_000_000  # a figure over this fails: a broken run draws huge ones

_executed: dict[str, nbformat.NotebookNode] = {}  # src_uri -> the notebook it ran as


def _root(config) -> Path:
    return Path(config.config_file_path).parent


def on_config(config):
    # The engine's one environment, as the tests and `python -m engine` have it: the same
    # content keys, so `make build` and `make test` share each example's run.
    apply_environment()
    _executed.clear()
    plugin = config.plugins["mkdocs-jupyter"].config
    plugin["execute"] = False  # the engine executed them; mkdocs-jupyter renders
    plugin["cache_dir"] = str(_root(config) / ".cache" / "mkdocs-jupyter")
    return config


def _check_markdown_cells(program: Path, name: str) -> None:
    in_markdown = False
    for number, line in enumerate(program.read_text(encoding="utf-8").split("\n"), 1):
        if notebooks.CELL_MARKER.match(line):
            in_markdown = "[markdown]" in line
        elif in_markdown and MARKDOWN_FENCE.match(line):
            raise PluginError(
                f"{name}:{number}: a fenced code block in a Markdown cell is shown as code "
                "but never run; put the code in a code cell"
            )
        elif in_markdown and CODE_HEADING.match(line):
            raise PluginError(
                f"{name}:{number}: mkdocs-jupyter's table of contents drops `code` from a "
                "heading and links to an anchor the page does not have; write it as text"
            )


def _figure_checks(program: Path, notebook) -> None:
    """Each cell that draws a figure has alt text describing it, and only such a cell."""
    name = f"examples/{program.name}"
    for index, cell in enumerate(notebook.cells):
        drawn = sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        line = notebooks.cell_lines(program)[index] - 1  # the cell's marker line
        if drawn and "alt" not in cell.metadata:
            raise PluginError(
                f'{name}:{line}: this cell draws a figure without alt text; write `# %% alt="what '
                'it shows"`'
            )
        if "alt" in cell.metadata and drawn != 1:
            raise PluginError(
                f"{name}:{line}: this cell has alt text for one figure but draws {drawn}; draw "
                "one figure a cell"
            )


def for_reading(notebook, program: Path, config) -> tuple[nbformat.NotebookNode, list[File]]:
    """The notebook as the page shows it, and the figure files it links to."""
    _figure_checks(program, notebook)
    shown = copy.deepcopy(notebook)
    shown, _ = CoalesceStreamsPreprocessor().preprocess(shown, {})
    stem = program.stem
    figures: list[File] = []
    for cell in shown.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        cell.source = "\n".join(line for line in lines if not MARKER.match(line))
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png is None:
                continue
            number = len(figures) + 1
            image = Image.open(io.BytesIO(base64.b64decode(png))).convert("RGB")
            width, height = image.size
            if width * height > MAX_FIGURE_PIXELS:
                raise PluginError(
                    f"examples/{program.name}: figure {number} is {width} x {height} pixels; "
                    "cap what a figure draws (a broken run can make one huge)"
                )
            webp = io.BytesIO()
            image.save(webp, "WEBP", quality=82, method=4)
            file_name = f"{stem}-figure-{number}.webp"
            figures.append(
                File.generated(config, f"examples/{stem}/{file_name}", content=webp.getvalue())
            )
            alt = html.escape(cell.metadata["alt"], quote=True)
            tag = f'<img alt="{alt}" src="{file_name}" width="{width}" height="{height}" '
            output.data = {"text/html": tag + 'loading="lazy">'}
            output.metadata = {}
    return shown, figures


@event_priority(100)  # before mkdocs-jupyter's on_files, which must see the notebooks
def on_files(files: Files, config) -> Files:
    root = _root(config)
    programs = notebooks.programs(root)
    for program in programs:
        _check_markdown_cells(program, f"examples/{program.name}")
    try:
        runs = notebooks.ensure(programs, log=log.info)
    except notebooks.ExampleError as error:
        raise PluginError(str(error)) from None
    reused = [run.program.name for run in runs if not run.executed]
    log.info(f"examples: {len(runs) - len(reused)} executed, {len(reused)} reused")
    folder = root / ".cache" / "engine" / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    for program in programs:
        src_uri = f"examples/{program.name}"
        try:
            notebook = notebooks.executed(program)
        except notebooks.ExampleError as error:
            raise PluginError(str(error)) from None
        _executed[src_uri] = notebook
        shown, figures = for_reading(notebook, program, config)
        path = folder / f"{program.stem}.ipynb"
        nbformat.write(shown, path)
        files.append(File.generated(config, src_uri, abs_src_path=str(path)))
        for figure in figures:
            files.append(figure)
    return files


def on_nav(nav, config, files):
    """mkdocs-jupyter wraps each notebook's File in one whose `abs_src_path` it recomputes
    from `src_dir`, which a generated File lacks: give the wrapper the notebook's path."""
    for file in files:
        inner = getattr(file, "file", None)
        if inner is not None and file.src_uri in _executed:
            file.__dict__["abs_src_path"] = inner.abs_src_path
    return nav


def is_notebook(page) -> bool:
    return page.file.src_uri in _executed


def on_page_content(html_text: str, page, config, files) -> str:
    if not is_notebook(page):
        return html_text
    # nbconvert adds MathJax and Mermaid loaders that point at a CDN; only the cells'
    # copy-button scripts stay.
    html_text = SCRIPT.sub(lambda m: m.group(0) if "clipboard" in m.group(0) else "", html_text)
    # Site colours for notebook code in both palettes; a scrollable cell takes keyboard focus.
    html_text = CODE_CELL.sub(r'<div class="highlight hl-\1"><pre tabindex="0">', html_text)
    # A plain name takes the code's own colour (Material: --md-code-hl-name-color is
    # --md-code-fg-color in both palettes), so its span only adds weight: about a sixth of
    # a long notebook page's HTML.
    html_text = NAME_SPAN.sub(r"\1", html_text)
    # The search index holds a notebook page's prose, not its code and printed output: a
    # chapter teaches the code, and the outputs are one machine's numbers. Material's indexer
    # ends an excluded element at the first closing tag of the same name (it compares
    # elements by tag alone), so a <div> around nested <div>s cannot be excluded: the mark
    # goes on elements that nest nothing of their own tag. Every <pre> holds a code cell or
    # a printed output (a Markdown cell may not hold a code block: `_check_markdown_cells`).
    html_text = PRE.sub("<pre data-search-exclude", html_text)
    for start in SEARCH_EXCLUDED:
        html_text = html_text.replace(
            start, start.replace(" class=", " data-search-exclude class=")
        )
    notebook = _executed[page.file.src_uri]
    page.meta["notebook_seconds"] = notebooks.run_seconds(notebook)
    page.meta["notebook_python"] = notebook.metadata.get("language_info", {}).get("version")
    return html_text


def on_post_page(output: str, page, config) -> str:
    """Offer the program and the executed notebook (outputs included) beside the page."""
    if is_notebook(page):
        folder = Path(page.file.abs_dest_path).parent
        folder.mkdir(parents=True, exist_ok=True)
        program = _root(config) / page.file.src_uri
        (folder / program.name).write_bytes(program.read_bytes())
        notebook = _executed[page.file.src_uri]
        nbformat.validate(notebook)
        nbformat.write(notebook, folder / f"{program.stem}.ipynb")
    return output
