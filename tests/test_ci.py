"""CI and deployment run the README's test command, with the browser tests required."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_ci_script_installs_chromium_and_runs_make_test_requiring_the_browser():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in script
    assert "need_apt+=(chromium)" in script
    assert "apt-get update" in script
    assert script.index("export REQUIRE_BROWSER=1") < script.index("\nmake test\n")


def test_pages_workflow_tests_with_make_test_then_publishes_the_strict_build():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "site.yml").read_text("utf-8"))
    build = workflow["jobs"]["test-and-build"]
    commands = [step.get("run", "") for step in build["steps"]]
    assert "REQUIRE_BROWSER=1 make test" in commands
    assert any(command.endswith("make build") for command in commands)
    assert commands.index("REQUIRE_BROWSER=1 make test") < next(
        i for i, command in enumerate(commands) if command.endswith("make build")
    )
    uses = [step.get("uses", "") for step in build["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "test-and-build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages")
