"""Measure the site against its budgets (CONTRIBUTING.md, "Budgets"); run it before a pull request.

    python -m tools.perf_report [--skip-tests]

Prints the test time, cold and warm strict-build times, every page's HTML weight and the
search index size, each beside its budget. Exits 1 if any figure is over budget, 2 on a
usage error. Timings are wall-clock on this machine: the budgets are for 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_SECONDS = 120
COLD_BUILD_SECONDS = 60
WARM_BUILD_SECONDS = 10
PAGE_BYTES = 300_000
SEARCH_INDEX_BYTES = 500_000


def timed(command: list[str], **env: str) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=ROOT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **env},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return time.perf_counter() - start


def row(name: str, value: float, budget: float, unit: str) -> bool:
    ok = value <= budget
    verdict = "ok" if ok else "OVER"
    print(f"{name:<44} {value:>10,.1f} {unit:<3} budget {budget:>10,.0f} {unit:<3} {verdict}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.perf_report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    args = parser.parse_args(argv)
    python = sys.executable
    results: list[bool] = []
    print(f"measured on {os.cpu_count()} cores\n")
    if not args.skip_tests:
        # As on a clean clone (nothing reused), then again with the results just stored.
        seconds = timed([python, "-m", "pytest", "-q"], ENGINE_REUSE="0")
        results.append(row("whole test suite, nothing reused", seconds, TEST_SECONDS, "s"))
        again = timed([python, "-m", "pytest", "-q"])
        results.append(row("whole test suite again, passes reused", again, TEST_SECONDS, "s"))

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        mkdocs = [python, "-m", "mkdocs", "build", "--strict", "-d", str(site)]
        # cold: nothing reused, every example executed
        cold = timed(mkdocs, ENGINE_REUSE="0")
        results.append(row("cold strict build (examples executed)", cold, COLD_BUILD_SECONDS, "s"))
        warm = timed(mkdocs)
        results.append(row("warm strict build (nothing executed)", warm, WARM_BUILD_SECONDS, "s"))

        print()
        for page in sorted(site.rglob("*.html")):
            kb = page.stat().st_size / 1000
            results.append(row(f"page {page.relative_to(site)}", kb, PAGE_BYTES / 1000, "KB"))
        index = (site / "search" / "search_index.json").stat().st_size / 1000
        results.append(row("search index", index, SEARCH_INDEX_BYTES / 1000, "KB"))
        shared_css = site / "assets" / "stylesheets" / "notebook.css"
        if shared_css.exists():
            size = shared_css.stat().st_size / 1000
            print(f"{'notebook CSS, one shared file':<44} {size:>10,.1f} KB")
        figures = sorted(site.rglob("*.webp"))
        total = sum(f.stat().st_size for f in figures) / 1000
        print(f"{f'{len(figures)} notebook figures (WebP), in all':<44} {total:>10,.1f} KB")

    print("\nall within budget" if all(results) else "\nOVER BUDGET: see the rows marked OVER")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
