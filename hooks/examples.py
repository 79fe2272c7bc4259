"""Render the programs in examples/ as notebook pages, executed at build time.

mkdocs-jupyter turns them into pages; this hook does what it does not:

- adds every `examples/*.py` (jupytext percent format) to the site's files. It must run
  before mkdocs-jupyter's own `on_files`, hence the priority: without it the programs
  become static copies and the strict build still passes;
- keys the notebook cache on requirements.txt too (mkdocs-jupyter's key ignores the
  versions of torch and the rest, so an upgrade would serve stale outputs);
- moves the ~585 KB of JupyterLab CSS that mkdocs-jupyter inlines into every notebook page
  into one shared stylesheet, `assets/stylesheets/notebook.css`, linked from those pages
  by overrides/main.html;
- drops the MathJax and Mermaid loaders nbconvert adds (they point at a CDN, and MathJax's
  is an empty `<script src="">`); only the cells' copy-button scripts stay;
- gives notebook code Material's `highlight` class, so it takes the site's code colours in
  both palettes, and makes each cell focusable so keyboard users can scroll it;
- moves each figure out of the page into a WebP file beside it, with the alt text its cell
  gives in jupytext metadata: `# %% alt="What the figure shows"`. A figure without one
  fails the build;
- hides snippet section markers (`# --8<-- [start:fit]`), which let a page embed part of
  an example, from the notebook page and its copy buttons;
- executes all the examples at once, one kernel a core (mkdocs-jupyter runs them one by
  one as it renders each page), and numbers each cell's copy text as its button expects;
- fails the build on a fenced code block in a Markdown cell (it would be shown as code and
  never run), and names the program's line of a cell that raises.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import jupytext
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs_jupyter import convert
from PIL import Image

NOTEBOOK_CSS = "assets/stylesheets/notebook.css"
STYLE = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.DOTALL)
CODE_CELL = re.compile(r'<div class="highlight-ipynb hl-([\w-]+)"><pre>')
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>\s*", re.DOTALL)
FIGURE = re.compile(r'<img\b[^>]*\bsrc="data:image/png;base64,([^"]+)"[^>]*>')
CELL_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
MARKDOWN_FENCE = re.compile(r"^#\s*(```|~~~)")
COPY_BUTTON = re.compile(r'<clipboard-copy\b[^>]*\bfor="cell-(\d+)"')
COPY_TEXT = re.compile(r'class="clipboard-copy-txt" id="cell-\d+"')
CODE_HEADING = re.compile(r"^# #{1,6} .*`")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A section marker (`# --8<-- [start:fit]`) lets a page embed part of an example; the
# notebook page does not show it (the downloaded program keeps it).
_MARKER = r'(?:<span class="c1">)?# -{1,}8&lt;-{1,} \[(?:start|end):[a-z][-_0-9a-z]*\](?:</span>)?'
SECTION_MARKER = re.compile(rf"{_MARKER}\n|\n{_MARKER}(?=</)")

_css: dict[str, str] = {}


def _root(config) -> Path:
    return Path(config.config_file_path).parent


def on_config(config):
    # The kernels run side by side, one a core; torch's default of a thread a core in each
    # would make them fight (DESIGN.md measured 20x slower). They inherit this environment.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _runs.clear()
    plugin = config.plugins["mkdocs-jupyter"]
    pins = hashlib.sha256((_root(config) / "requirements.txt").read_bytes()).hexdigest()[:12]
    plugin.config["cache_dir"] = str(_root(config) / ".cache" / "mkdocs-jupyter" / pins)
    _css.clear()
    return config


def code_cell_lines(program: Path) -> list[tuple[int, str]]:
    """(line of the cell's first line, its source) for each code cell, in order."""
    lines = program.read_text(encoding="utf-8").split("\n")
    starts = [n for n, line in enumerate(lines) if CELL_MARKER.match(line)]
    starts = [n for n in starts if "[markdown]" not in lines[n]]
    cells = [c for c in jupytext.read(program).cells if c.cell_type == "code"]
    if lines and not CELL_MARKER.match(lines[0]) and len(cells) == len(starts) + 1:
        starts.insert(0, -1)  # code before the first marker is a cell of its own
    return [(start + 2, cell.source) for start, cell in zip(starts, cells, strict=False)]


def _check_markdown_cells(program: Path, name: str) -> None:
    in_markdown = False
    for number, line in enumerate(program.read_text(encoding="utf-8").split("\n"), 1):
        if CELL_MARKER.match(line):
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


def _where_it_raised(program: Path, name: str, error: Exception) -> str:
    """'examples/x.py:LINE: ZeroDivisionError: ...' for a cell that raised at build time."""
    message = ANSI.sub("", str(error))
    parts = message.split("------------------\n")  # nbclient quotes the cell between rules
    source = parts[1] if len(parts) > 2 else ""
    line = re.search(r"line (\d+)", message.split("Traceback", 1)[-1])
    for first, cell in code_cell_lines(program):
        if cell.strip() and cell.strip() == source.strip():
            at = first + (int(line[1]) - 1 if line else 0)
            last = next((ln for ln in reversed(message.strip().split("\n")) if ln.strip()), "")
            return f"{name}:{at}: this cell raised {last.strip()}"
    return f"{name}: a cell raised"


_nb2html = convert.nb2html
_runs: dict[str, Future[str] | None] = {}  # None: taken by its page


def _nb2html_in_parallel(path: str, **kwargs) -> str:
    """mkdocs-jupyter executes one notebook per page, one after another. The first call
    starts every example at once, one kernel a core, and each page then takes its own."""
    if not _runs:
        pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
        for program in sorted(Path(path).parent.glob("*.py")):
            _runs[str(program)] = pool.submit(_nb2html, str(program), **kwargs)
        pool.shutdown(wait=False)
    run, _runs[path] = _runs.get(path), None
    try:
        return run.result() if run is not None else _nb2html(path, **kwargs)
    except Exception as error:
        if type(error).__name__ != "CellExecutionError":
            raise
        program = Path(path)
        raise PluginError(_where_it_raised(program, f"examples/{program.name}", error)) from error


convert.nb2html = _nb2html_in_parallel


@event_priority(100)
def on_files(files: Files, config) -> Files:
    root = _root(config)
    for program in sorted((root / "examples").glob("*.py")):
        _check_markdown_cells(program, f"examples/{program.name}")
        files.append(
            File(
                f"examples/{program.name}",
                src_dir=str(root),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    return files


def is_notebook(page) -> bool:
    return page.file.src_uri.startswith("examples/") and page.file.src_uri.endswith(".py")


def on_page_content(html: str, page, config, files) -> str:
    if not is_notebook(page):
        return html
    css = "\n".join(STYLE.findall(html))
    if not css:
        raise PluginError(f"{page.file.src_uri}: expected mkdocs-jupyter's inline CSS, found none")
    seen = _css.setdefault("css", css)
    if seen != css:
        raise PluginError(
            f"{page.file.src_uri}: its notebook CSS differs from other notebook pages"
        )
    html = STYLE.sub("", html)
    html = SCRIPT.sub(lambda m: m.group(0) if "clipboard" in m.group(0) else "", html)
    # Site colours for notebook code in both palettes; a scrollable cell takes keyboard focus.
    html = CODE_CELL.sub(r'<div class="highlight hl-\1"><pre tabindex="0">', html)
    html = SECTION_MARKER.sub("", html)
    return _figures_to_files(_number_copy_texts(html, page), page)


def _number_copy_texts(html: str, page) -> str:
    """Number each cell's copy text as its copy button does (`for="cell-3"`).

    mkdocs-jupyter counts the texts in a module-wide counter, which the notebooks executing
    side by side share, so the texts' numbers interleave across pages.
    """
    buttons = COPY_BUTTON.findall(html)
    numbers = iter(buttons)
    html = COPY_TEXT.sub(lambda _: f'class="clipboard-copy-txt" id="cell-{next(numbers)}"', html)
    if len(COPY_TEXT.findall(html)) != len(buttons) or buttons != [
        str(n) for n in range(1, len(buttons) + 1)
    ]:
        raise PluginError(f"{page.file.src_uri}: copy buttons and cell texts do not pair up")
    return html


def _figures_to_files(html: str, page) -> str:
    notebook = jupytext.read(page.file.abs_src_path)
    alts = [cell.metadata["alt"] for cell in notebook.cells if "alt" in cell.metadata]
    figures = FIGURE.findall(html)
    if len(figures) != len(alts):
        raise PluginError(
            f"{page.file.src_uri}: {len(figures)} figure(s) but {len(alts)} cell(s) with alt "
            'text; mark each cell that draws a figure with `# %% alt="what it shows"`'
        )
    out_dir = Path(page.file.abs_dest_path).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(page.file.src_uri).stem
    numbers = iter(range(1, len(figures) + 1))

    def to_file(match: re.Match[str]) -> str:
        number = next(numbers)
        image = Image.open(io.BytesIO(base64.b64decode(match[1]))).convert("RGB")
        name = f"{stem}-figure-{number}.webp"
        image.save(out_dir / name, "WEBP", quality=82, method=4)
        alt = alts[number - 1].replace("&", "&amp;").replace('"', "&quot;")
        width, height = image.size
        return f'<img alt="{alt}" src="{name}" width="{width}" height="{height}" loading="lazy">'

    return FIGURE.sub(to_file, html)


def on_post_build(config) -> None:
    if "css" in _css:
        target = Path(config.site_dir) / NOTEBOOK_CSS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_css["css"], encoding="utf-8")
