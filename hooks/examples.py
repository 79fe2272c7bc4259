"""Render the programs in examples/ as notebook pages, executed at build time.

mkdocs-jupyter turns them into pages; this hook does what it does not:

- adds every `examples/*.py` (jupytext percent format) to the site's files. It must run
  before mkdocs-jupyter's own `on_files`, hence the priority: without it the programs
  become static copies and the strict build still passes;
- keys the notebook cache on requirements.txt too (mkdocs-jupyter's key ignores the
  versions of torch and the rest, so an upgrade would serve stale outputs);
- moves the ~590 KB of JupyterLab CSS that mkdocs-jupyter inlines into every notebook page
  into one shared stylesheet, `assets/stylesheets/notebook.css`, linked from those pages
  by overrides/main.html, and keeps in it only the rules the built notebook pages use
  (`used_css`: about a tenth of it);
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
- writes the notebook each example ran as, outputs included, beside its page
  (`examples/<name>/<name>.ipynb`, offered for download with the program by
  overrides/partials/actions.html), and gives the page its run time (`page.meta`), summed
  from the cells' execution timestamps, for the tested-with line (hooks/tested_with.py);
  with the notebook cache on, both come from a copy kept beside mkdocs-jupyter's entry;
- fails the build on a fenced code block in a Markdown cell (it would be shown as code and
  never run), and names the program's line of a cell that raises.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import tinycss2
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs_jupyter import convert
from mkdocs_jupyter.nbconvert2 import HTMLExporter
from mkdocs_jupyter.plugin import _compute_cache_key, _get_cache_path
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
# Where one printed text arrived as two stream messages (the kernel flushes its output on a
# timer, so a busy machine splits a line), as two output areas: join them into one, as the
# text was printed.
STREAM_BREAK = re.compile(
    r'</pre>\s*</div>\s*</div>\s*<div class="jp-OutputArea-child">\s*'
    r'<div class="jp-OutputPrompt jp-OutputArea-prompt"></div>\s*'
    r'<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain"[^>]*>\s*<pre>'
)
CODE_HEADING = re.compile(r"^# #{1,6} .*`")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A section marker (`# --8<-- [start:fit]`) lets a page embed part of an example; the
# notebook page does not show it (the downloaded program keeps it).
_MARKER = r'(?:<span class="c1">)?# -{1,}8&lt;-{1,} \[(?:start|end):[a-z][-_0-9a-z]*\](?:</span>)?'
MATERIAL_CLASS = re.compile(r"\b(md-[a-z][-_a-z0-9]*)")
SECTION_MARKER = re.compile(rf"{_MARKER}\n|\n{_MARKER}(?=</)")

_css: dict[str, str] = {}
_css_pages: list[str] = []  # the built notebook pages, whose HTML says which rules they use


def _root(config) -> Path:
    return Path(config.config_file_path).parent


def on_config(config):
    # The kernels run side by side, one a core; torch's default of a thread a core in each
    # would make them fight (DESIGN.md measured 20x slower). They inherit this environment.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _runs.clear()
    _executed.clear()
    plugin = config.plugins["mkdocs-jupyter"]
    _plugin["config"] = plugin.config
    pins = hashlib.sha256((_root(config) / "requirements.txt").read_bytes()).hexdigest()[:12]
    plugin.config["cache_dir"] = str(_root(config) / ".cache" / "mkdocs-jupyter" / pins)
    _css.clear()
    _css_pages.clear()
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
_executed: dict[str, str] = {}  # program path -> the notebook it ran as (JSON), outputs included
_plugin: dict = {}
_thread = threading.local()
_preprocess = HTMLExporter._preprocess


def _keep_executed(self, nb, resources):
    """nbconvert executes the notebook among its preprocessors and renders it to HTML;
    mkdocs-jupyter returns only the HTML. Keep the executed notebook for its thread."""
    nb, resources = _preprocess(self, nb, resources)
    _thread.notebook = nbformat.writes(nb)
    return nb, resources


HTMLExporter._preprocess = _keep_executed


def _notebook_cache(path: str) -> Path | None:
    """Where the executed notebook is kept beside mkdocs-jupyter's cached page, if cached."""
    config = _plugin.get("config")
    if not config or not config["cache"]:
        return None
    key = _compute_cache_key(path, config, config["execute"])
    return _get_cache_path(config["cache_dir"], key).with_suffix(".ipynb")


def _run(path: str, **kwargs) -> str:
    _thread.notebook = None
    html = _nb2html(path, **kwargs)
    if _thread.notebook is None:
        raise PluginError(f"{path}: nbconvert rendered it without the executed notebook")
    _executed[path] = _thread.notebook
    if cached := _notebook_cache(path):
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(_thread.notebook, encoding="utf-8")
    return html


def _nb2html_in_parallel(path: str, **kwargs) -> str:
    """mkdocs-jupyter executes one notebook per page, one after another. The first call
    starts every example at once, one kernel a core, and each page then takes its own."""
    if not _runs:
        pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
        for program in sorted(Path(path).parent.glob("*.py")):
            _runs[str(program)] = pool.submit(_run, str(program), **kwargs)
        pool.shutdown(wait=False)
    run, _runs[path] = _runs.get(path), None
    try:
        return run.result() if run is not None else _run(path, **kwargs)
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
        cached = _notebook_cache(str(program))
        if cached is not None and not cached.exists():  # run it again, to have its notebook
            cached.with_suffix(".json").unlink(missing_ok=True)
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
    _css_pages.append(page.file.abs_dest_path)
    html = SCRIPT.sub(lambda m: m.group(0) if "clipboard" in m.group(0) else "", html)
    # Site colours for notebook code in both palettes; a scrollable cell takes keyboard focus.
    html = CODE_CELL.sub(r'<div class="highlight hl-\1"><pre tabindex="0">', html)
    html = SECTION_MARKER.sub("", html)
    html = STREAM_BREAK.sub("", html)
    _write_notebook(page)
    return _figures_to_files(_number_copy_texts(html, page), page)


def run_seconds(notebook: nbformat.NotebookNode) -> float:
    """How long the cells ran: the sum of each cell's execution, from nbclient's timestamps."""
    total = 0.0
    for cell in notebook.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start = datetime.fromisoformat(timing["iopub.execute_input"])
            total += (datetime.fromisoformat(timing["shell.execute_reply"]) - start).total_seconds()
    return total


def _write_notebook(page) -> None:
    path = page.file.abs_src_path
    text = _executed.get(path)
    if text is None and (cached := _notebook_cache(path)) and cached.exists():
        text = cached.read_text(encoding="utf-8")
    if text is None:
        raise PluginError(f"{page.file.src_uri}: no executed notebook from this build")
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    target = Path(page.file.abs_dest_path).parent / f"{Path(path).stem}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    page.meta["notebook_seconds"] = run_seconds(notebook)
    page.meta["notebook_python"] = notebook.metadata.get("language_info", {}).get("version")


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


class _Names(HTMLParser):
    """The tag, class, id and attribute names a page's HTML uses."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = {"html", "body", "root"}

    def handle_starttag(self, tag, attrs):
        self.names.add(tag)
        for name, value in attrs:
            self.names.add(f"[{name}]")
            if name == "class" and value:
                self.names.update(f".{c}" for c in value.split())
            elif name == "id" and value:
                self.names.add(f"#{value}")


def _required(selector: list) -> set[str]:
    """The names an element (or one above it) must carry for a selector to match it.

    Like PurgeCSS: what is inside :not(), :is() and the like is not required, nor is a
    pseudo-class or pseudo-element (:hover, ::before), so a selector is kept when in doubt.
    """
    names, previous = set(), None
    for token in selector:
        if token.type == "ident" and previous is not None and previous.type == "literal":
            if previous.value == ".":
                names.add(f".{token.value}")
        elif token.type == "ident" and (
            previous is None
            or previous.type in ("whitespace",)
            or previous.value in (">", "+", "~")
        ):
            names.add(token.value.lower())
        elif token.type == "hash":
            names.add(f"#{token.value}")
        elif token.type == "[] block":
            attribute = next((t for t in token.content if t.type == "ident"), None)
            if attribute is not None:
                names.add(f"[{attribute.value.lower()}]")
        previous = token
    return names


def _selectors(prelude: list) -> list[list]:
    selectors: list[list] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(token)
    return selectors


def _var_names(tokens: Iterable) -> set[str]:
    """Custom properties a value reads with var(--name), however deeply nested."""
    found = set()
    for token in tokens:
        if token.type == "function":
            if token.lower_name == "var":
                first = next((t for t in token.arguments if t.type == "ident"), None)
                if first is not None:
                    found.add(first.value)
            found |= _var_names(token.arguments)
        elif token.type in ("() block", "[] block", "{} block"):
            found |= _var_names(token.content)
    return found


def _idents(tokens: Iterable) -> set[str]:
    return {t.value for t in tokens if t.type == "ident"}


def used_css(css: str, pages: Iterable[str], scripts: Iterable[str] = ()) -> str:
    """The rules of `css` that can apply to the pages' HTML, and what those rules need:
    the custom properties they read (transitively), the @keyframes they name. @media and
    @supports blocks are filtered the same way; @font-face, @import and @page are kept.
    Material's classes (`md-*`) that the `scripts` name count as used: its JavaScript adds
    them at run time (it wraps each table in `md-typeset__scrollwrap`)."""
    names = _Names()
    for html in pages:
        names.feed(html)
    used = names.names
    for script in scripts:
        used |= {f".{name}" for name in MATERIAL_CLASS.findall(script)}

    def keep_rules(rules: list) -> list:
        kept = []
        for rule in rules:
            if rule.type == "qualified-rule":
                selectors = [s for s in _selectors(rule.prelude) if _required(s) <= used]
                if selectors:
                    declarations = tinycss2.parse_blocks_contents(
                        rule.content, skip_comments=True, skip_whitespace=True
                    )
                    kept.append((selectors, declarations))
            elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports"):
                inner = tinycss2.parse_rule_list(
                    rule.content or [], skip_comments=True, skip_whitespace=True
                )
                if content := keep_rules(inner):
                    kept.append((rule, content))
            elif rule.type == "at-rule" and rule.lower_at_keyword != "charset":
                kept.append((rule, None))
        return kept

    kept = keep_rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))

    def declarations(items: list) -> Iterable:
        for first, second in items:
            if isinstance(first, list):
                yield from (d for d in second if d.type == "declaration")
            elif second is not None:
                yield from declarations(second)

    defined: dict[str, set[str]] = {}
    wanted: set[str] = set()
    animations: set[str] = set()
    for declaration in declarations(kept):
        names_read = _var_names(declaration.value)
        if declaration.name.startswith("--"):
            defined.setdefault(declaration.name, set()).update(names_read)
        else:
            wanted |= names_read
            if "animation" in declaration.lower_name:
                animations |= _idents(declaration.value)
    todo = list(wanted)
    while todo:
        for name in defined.get(todo.pop(), ()):
            if name not in wanted:
                wanted.add(name)
                todo.append(name)

    def write(items: list) -> str:
        out = []
        for first, second in items:
            if isinstance(first, list):
                body = ";".join(
                    f"{d.name}:{tinycss2.serialize(d.value).strip()}"
                    + ("!important" if d.important else "")
                    for d in second
                    if d.type == "declaration" and (not d.name.startswith("--") or d.name in wanted)
                )
                if body:
                    selectors = ",".join(tinycss2.serialize(s).strip() for s in first)
                    out.append(f"{selectors}{{{body}}}")
            elif second is not None:
                if inner := write(second):
                    at = f"@{first.at_keyword} {tinycss2.serialize(first.prelude).strip()}"
                    out.append(f"{at}{{{inner}}}")
            elif "keyframes" not in first.lower_at_keyword or (_idents(first.prelude) & animations):
                out.append(tinycss2.serialize([first]))
        return "\n".join(out)

    return write(kept) + "\n"


def on_post_build(config) -> None:
    if "css" in _css:
        pages = [Path(path).read_text(encoding="utf-8") for path in _css_pages]
        scripts = Path(config.site_dir, "assets", "javascripts").glob("*.js")
        scripts = [script.read_text(encoding="utf-8") for script in scripts]
        target = Path(config.site_dir) / NOTEBOOK_CSS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(used_css(_css["css"], pages, scripts), encoding="utf-8")
