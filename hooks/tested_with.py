"""One quiet line at the end of every page with code: what its code was verified with.

Generated at build, never typed, from the run: torch's version as installed in the
interpreter that builds the site and runs the page tests and the example kernels (not the
pin in requirements.txt, which may say otherwise), Python's from the run (a notebook page's
from the kernel that ran it), "CPU" when the installed torch is the CPU build, and, on an
example page, how long its cells ran (hooks/notebooks.py puts that in `page.meta`; list
this hook after it in mkdocs.yml).
"""

from __future__ import annotations

import importlib.metadata
import re
import sys

from mkdocs.exceptions import PluginError

RUN_CODE = re.compile(r'<div class="language-(?:python|pycon)\b')
NOT_RUN = re.compile(r"^[ \t]*(?:`{3,}|~{3,})[ \t]*\{[^}\n]*\bnotest\b", re.MULTILINE)
LINE_CLASS = "tested-with"

_torch: dict[str, str] = {}


def on_config(config):
    try:
        installed = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        raise PluginError("torch is not installed: pages cannot say what they ran with") from None
    _torch["version"], _, _torch["local"] = installed.partition("+")
    return config


def _device() -> str:
    """' (CPU)' when the installed torch is the CPU build, else ''."""
    return " (CPU)" if _torch["local"] == "cpu" else ""


def tested_with_line(page, html: str) -> str | None:
    """The sentence for this page, or None for a page without code that runs."""
    torch = f"torch {_torch['version']}"
    if "notebook_seconds" in page.meta:
        python = page.meta.get("notebook_python") or ""
        python = ".".join(python.split(".")[:2]) or f"{sys.version_info[0]}.{sys.version_info[1]}"
        seconds = page.meta["notebook_seconds"]
        return (
            f"Every cell on this page ran when the site was built, with {torch} and "
            f"Python {python}{_device()}, in {seconds:.1f} s of execution on the build machine."
        )
    if not RUN_CODE.search(html):
        return None
    python = f"Python {sys.version_info[0]}.{sys.version_info[1]}"
    not_run = len(NOT_RUN.findall(page.markdown or ""))
    but = (
        f", except the {not_run} marked “Not run here”"
        if not_run > 1
        else ", except the one marked “Not run here”"
        if not_run
        else ""
    )
    return (
        f"Every code block on this page is run by the site's tests{but}, with {torch} and "
        f"{python}{_device()}."
    )


def on_page_content(html: str, page, config, files) -> str:
    line = tested_with_line(page, html)
    if line is None:
        return html
    return f'{html}\n<p class="{LINE_CLASS}">{line}</p>\n'
