"""A chapter's install line against what its run imports.

Each chapter's "Run it yourself" box gives a `pip install ...` line (a section that needs
more gives its own). While the page runs, `recording_imports` notes the top-level module of
every import statement that page code or the libraries it calls execute (the engine's own
imports left out). `install_problems` maps them to their distributions and checks them
against the line: every distribution imported must be on the line or required by one on it
(its `Requires-Dist`, in this Python), unless it is one that a library only tries
(`OPTIONAL`, and `TRIED_BY` for one importer only); and every distribution on the line must
be imported. Nothing is installed: the metadata of the installed packages (pinned by
requirements.txt) says what requires what.
"""

from __future__ import annotations

import builtins
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

INSTALL_LINE = re.compile(r"`pip install (?P<names>[a-z0-9][^`]*)`")
# Imported during a page's run, yet not needed: the library that imports each one catches
# its absence and carries on. (scikit-learn's `load_sample_image` also catches a missing
# Pillow, but only to raise its own ImportError: Pillow is needed, and not listed here.)
OPTIONAL = {
    "charset-normalizer": "numpy.f2py tries it, to guess the encoding of Fortran sources",
    "cloudpickle": "joblib's process pool uses its own bundled copy without it",
    "colorama": "torch.compile's Inductor colours its log with it when present",
    "packaging": "setuptools (torch.utils.benchmark imports it) falls back on its own copy",
    "psutil": "joblib's process pool counts memory with it when present",
}
# Optional only where one library tries it: the same import from anywhere else counts.
TRIED_BY = {
    "numpy": ("torch", "PyTorch tries it (torch.compile's tracing, symbolic shapes) and works "
              "without it: it is not among torch's requirements"),
}  # fmt: skip
SKIPPED_IMPORTERS = ("engine", "doctest")  # the harness, not the page
# Under pytest, assertion rewriting makes every module named `*_test.py` (scipy.stats has
# some) import `_pytest`: the harness again.
SKIPPED_MODULES = frozenset({"_pytest"})


@contextmanager
def recording_imports(found: set[str]) -> Iterator[None]:
    """Add to `found` the top-level module of every absolute import statement executed
    inside, except the harness's own."""
    real = builtins.__import__

    def recording(name, globals=None, locals=None, fromlist=(), level=0):
        module = real(name, globals, locals, fromlist, level)
        importer = (globals or {}).get("__name__") or ""
        top = name.partition(".")[0]
        tried = top in TRIED_BY and f"{importer}.".startswith(f"{TRIED_BY[top][0]}.")
        skipped = importer.startswith(SKIPPED_IMPORTERS) or top in SKIPPED_MODULES or tried
        if level == 0 and not skipped:
            found.add(top)
        return module

    builtins.__import__ = recording
    try:
        yield
    finally:
        builtins.__import__ = real


def distributions(modules: set[str]) -> set[str]:
    """The installed distributions (canonical names) that provide these top-level modules;
    the standard library's are left out."""
    providers = metadata.packages_distributions()
    return {
        canonicalize_name(dist)
        for module in modules
        if module not in sys.stdlib_module_names
        for dist in providers.get(module, ())
    }


@cache
def required_by(name: str) -> frozenset[str]:
    """A distribution and everything it requires, transitively, in this Python (extras
    left out)."""
    found = {canonicalize_name(name)}
    try:
        requirements = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return frozenset(found)
    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            found |= required_by(requirement.name)
    return frozenset(found)


def install_line(text: str) -> tuple[int, list[str]] | None:
    """What the page's `pip install ...` lines install (a section may add its own line): the
    1-based line number of the first, and every name on them, without version pins."""
    matches = list(INSTALL_LINE.finditer(text))
    if not matches:
        return None
    names = [n for m in matches for n in m["names"].split() if not n.startswith("-")]
    bare = [re.split(r"[=<>!~\[; ]", name)[0] for name in names]
    return text.count("\n", 0, matches[0].start()) + 1, [canonicalize_name(n) for n in bare]


def install_problems(text: str, modules: set[str]) -> tuple[int, str] | None:
    """What is wrong with a page's install line, given the modules its run imported: (line,
    message), or None."""
    imported = distributions(modules)
    if not imported:
        return None
    found = install_line(text)
    if found is None:
        return 1, (
            f"the page runs code that imports {', '.join(sorted(imported))}, and gives no "
            "`pip install ...` line to say what a reader needs"
        )
    line, names = found
    covered = frozenset().union(*(required_by(name) for name in names))
    missing = sorted(imported - covered - set(OPTIONAL))
    unused = sorted(set(names) - imported)
    problems = []
    if missing:
        problems.append(f"add {' '.join(missing)}: the page's run imports it")
    if unused:
        problems.append(f"drop {' '.join(unused)}: nothing on the page imports it")
    if not problems:
        return None
    return line, f"the install lines (`pip install {' '.join(names)}`) are wrong: " + "; ".join(
        problems
    )
