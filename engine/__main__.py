"""The engine's command line: check pages, refresh their outputs, execute examples.

    python -m engine check [--another-cpu] [--report DIR] PAGE.md...
    python -m engine refresh [PAGE.md...]        (no page: every page)
    python -m engine examples [PROGRAM.py...]    (no program: every example)

Every command runs in the engine's one environment (engine/sandbox.py): it restarts itself
with it when this process has another. Exit status: 0 all passed, 1 a failure, 2 a usage
error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from engine.sandbox import ANOTHER_CPU, ENVIRONMENT

USAGE = """\
usage: python -m engine check [--another-cpu] [--report DIR] PAGE.md...
       python -m engine refresh [PAGE.md...]
       python -m engine examples [PROGRAM.py...]
check runs pages (a page that passed under the same content key is not run again);
refresh rewrites the outputs shown in pages' pycon blocks from a real run;
examples executes the examples whose content key has no stored run"""


def usage(message: str) -> int:
    print(f"{message}\n{USAGE}", file=sys.stderr)
    return 2


def _environment(argv: list[str]) -> dict[str, str]:
    wanted = dict(ENVIRONMENT)
    if "--another-cpu" in argv:
        wanted.update(ANOTHER_CPU)
    return wanted


def _restart_if_needed(argv: list[str]) -> None:
    wanted = _environment(argv)
    if any(os.environ.get(name) != value for name, value in wanted.items()):
        env = {**os.environ, **wanted}
        os.execve(sys.executable, [sys.executable, "-m", "engine", *argv], env)


def _files(args: list[str], suffix: str, default: list[Path]) -> list[Path] | str:
    if not args:
        return default
    for arg in args:
        if arg.startswith("-") or not arg.endswith(suffix):
            return f"not a {suffix} file: {arg}"
        if not Path(arg).is_file():
            return f"no such file: {arg}"
    return [Path(arg) for arg in args]


def check(args: list[str]) -> int:
    report = None
    args = [arg for arg in args if arg != "--another-cpu"]
    if args[:1] == ["--report"]:
        if len(args) < 2:
            return usage("--report needs a folder")
        report, args = Path(args[1]), args[2:]
    if not args:
        return usage("check needs at least one page")
    found = _files(args, ".md", [])
    if isinstance(found, str):
        return usage(found)
    from engine import pages
    from engine.cache import Store

    failed = 0
    for page in found:
        run = pages.run(page)
        message = run.failure.message if run.failure else ""
        if report is not None:
            result = {"page": str(page), "passed": run.failure is None, "message": message}
            Store.write(report / pages.report_name(page), json.dumps(result))
        state = "reused" if run.reused else f"ran in {run.seconds:.1f} s"
        print(f"{page}: {'FAILED' if run.failure else 'passed'} ({state})")
        if run.failure:
            failed += 1
            print(message)
    return 1 if failed else 0


def refresh(args: list[str]) -> int:
    from engine import pages
    from engine.site import DOCS

    found = _files(args, ".md", sorted(DOCS.rglob("*.md")))
    if isinstance(found, str):
        return usage(found)
    for page in found:
        try:
            changed = pages.refresh(page)
        except RuntimeError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"{page}: {changed} output(s) rewritten")
    return 0


def examples(args: list[str]) -> int:
    from engine import notebooks

    found = _files(args, ".py", notebooks.programs())
    if isinstance(found, str):
        return usage(found)
    try:
        runs = notebooks.ensure(found)
    except notebooks.ExampleError as error:
        print(error, file=sys.stderr)
        return 1
    reused = [run.program.name for run in runs if not run.executed]
    print(f"{len(runs) - len(reused)} executed, {len(reused)} reused")
    return 0


COMMANDS = {"check": check, "refresh": refresh, "examples": examples}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        return usage(f"unknown command: {argv[0]}" if argv else "no command")
    _restart_if_needed(argv)
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
