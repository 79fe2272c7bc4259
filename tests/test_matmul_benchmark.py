"""examples/matmul_benchmark.py: the page the build executed, and the program as a
command-line tool (its JSON, its usage errors, and a sanity check of what it measures).
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.site import built_page

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "examples" / "matmul_benchmark.py"


def start(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, str(PROGRAM), *args]
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """One small run with --json: float32 only, two sizes, short timings."""
    out = tmp_path_factory.mktemp("bench") / "result.json"
    process = start(
        "--sizes",
        "192",
        "384",
        "--dtypes",
        "float32",
        "--min-run-time",
        "0.05",
        "--json",
        str(out),
        "--devices",
        "cpu",  # the records below are the CPU's, on a machine with a GPU too
    )
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stdout + stderr
    return json.loads(out.read_text(encoding="utf-8"))


def test_json_has_records_and_machine(run):
    assert set(run) == {"machine", "records", "skipped"}
    records = run["records"]
    assert {(r["size"], r["implementation"]) for r in records} == {
        (192, "torch"),
        (384, "torch"),
        (192, "numpy"),
        (384, "numpy"),
    }
    for r in records:
        assert set(r) == {"size", "dtype", "device", "implementation", "seconds", "gflops"}
        assert r["dtype"] == "float32"
        assert r["device"] == "cpu"
        assert r["seconds"] > 0
        assert r["gflops"] == pytest.approx(2 * r["size"] ** 3 / r["seconds"] / 1e9)
    machine = run["machine"]
    for key in ("cpu_model", "logical_cpus", "physical_cores", "torch_threads", "torch_version"):
        assert machine[key], key
    peak = machine["peak_estimate"]
    assert set(peak["gflops"]) == {"float32", "bfloat16", "float16"}
    assert peak["formula"]
    assert peak["assumptions"]
    assert peak["clock_source"] in {"cpufreq maximum", "cpu MHz in /proc/cpuinfo", None}
    assert machine["float32_matmul_precision"] in {"highest", "high", "medium"}


def program_functions() -> dict:
    """The program's pure functions, defined without running the benchmark."""
    tree = ast.parse(PROGRAM.read_text(encoding="utf-8"))
    wanted = {
        "positive_number",
        "writable_file",
        "parse_devices",
        "parse_cpuinfo",
        "flops_per_cycle",
    }
    defs = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert wanted <= {node.name for node in defs}
    module = ast.Module([node for node in defs if node.name in wanted], type_ignores=[])
    import torch

    namespace = {"argparse": argparse, "math": math, "re": re, "torch": torch, "Path": Path}
    namespace["os"] = __import__("os")
    exec(compile(module, str(PROGRAM), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def program():
    return program_functions()


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "0", "-0.5", "soon"])
def test_min_run_time_refuses_what_would_hang_or_mean_nothing(program, text):
    with pytest.raises(argparse.ArgumentTypeError, match="finite number greater than 0"):
        program["positive_number"](text)


def test_min_run_time_accepts_a_positive_number(program):
    assert program["positive_number"]("0.25") == 0.25
    assert program["positive_number"]("1e-3") == 0.001


def test_json_path_is_checked_before_the_run(program, tmp_path):
    writable = program["writable_file"]
    assert writable(str(tmp_path / "out.json")) == tmp_path / "out.json"
    with pytest.raises(argparse.ArgumentTypeError, match="does not exist"):
        writable(str(tmp_path / "missing" / "out.json"))
    with pytest.raises(argparse.ArgumentTypeError, match="is a directory"):
        writable(str(tmp_path))


def test_devices_drop_repeats_and_refuse_what_is_not_here(program):
    parse = program["parse_devices"]
    available = ["cpu", "cuda:0", "cuda:1"]  # a two-GPU machine, not this one
    names = ["cuda", "cpu", "cuda:0", "cpu:0", "cuda:1"]
    assert [str(d) for d in parse(names, available)] == ["cuda:0", "cpu", "cuda:1"]
    for name in ("cpu:1", "cuda:2", "mps", "tpu"):
        with pytest.raises(ValueError, match=f"device '{name}' is not available here"):
            parse([name], available)


XEON = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model name\t: Intel(R) Xeon(R) Platinum 8480+
physical id\t: 0
core id\t\t: 0
cpu MHz\t\t: 800.000
flags\t\t: fpu avx avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile avx512_fp16

processor\t: 1
vendor_id\t: GenuineIntel
cpu family\t: 6
physical id\t: 0
core id\t\t: 0
cpu MHz\t\t: 3100.000

processor\t: 2
physical id\t: 0
core id\t\t: 1
cpu MHz\t\t: 1200.000
"""

ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model name\t: AMD Ryzen 9 7950X 16-Core Processor
physical id\t: 0
core id\t\t: 0
cpu MHz\t\t: 4500.000
flags\t\t: fpu avx avx2 fma avx512f avx512_bf16
"""

ZEN3 = ZEN4.replace("7950X", "5950X").replace(" avx512f avx512_bf16", "")
# Cascade Lake: AVX-512 without bfloat16 instructions; oneDNN converts bfloat16 there.
CASCADE_LAKE = XEON.replace("8480+", "8280").replace(
    " avx512f avx512_bf16 amx_bf16 amx_tile avx512_fp16", " avx512f avx512bw avx512vl avx512dq"
)


def test_clock_from_cpufreq_maximum_else_the_highest_cpu_mhz(program):
    parse = program["parse_cpuinfo"]
    info = parse(XEON, "3800000\n")  # cpuinfo_max_freq is in kHz
    assert (info["clock_ghz"], info["clock_source"]) == (3.8, "cpufreq maximum")
    info = parse(XEON)
    assert (info["clock_ghz"], info["clock_source"]) == (3.1, "cpu MHz in /proc/cpuinfo")
    assert info["physical_cores"] == 2  # three logical CPUs, two (physical id, core id) pairs
    assert info["model"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert (info["vendor"], info["family"]) == ("GenuineIntel", 6)
    assert parse("")["clock_ghz"] is None


def test_flops_per_cycle_from_the_flags(program):
    parse, per_cycle = program["parse_cpuinfo"], program["flops_per_cycle"]
    xeon = parse(XEON)
    assert per_cycle(xeon["flags"], xeon["vendor"], xeon["family"]) == {
        "float32": 64,
        "bfloat16": 1024,
        "float16": 128,
    }
    # Zen 4 executes AVX-512 as two 256-bit halves: AVX2's float32 throughput.
    zen4 = parse(ZEN4)
    assert per_cycle(zen4["flags"], zen4["vendor"], zen4["family"]) == {
        "float32": 32,
        "bfloat16": 64,
        "float16": None,
    }
    # AVX-512 without bfloat16 instructions: bfloat16 at about the float32 rate.
    cascade = parse(CASCADE_LAKE)
    assert per_cycle(cascade["flags"], cascade["vendor"], cascade["family"]) == {
        "float32": 64,
        "bfloat16": 64,
        "float16": None,
    }
    # AVX2 alone: no bfloat16 peak, PyTorch runs a generic kernel.
    zen3 = parse(ZEN3)
    assert per_cycle(zen3["flags"], zen3["vendor"], zen3["family"]) == {
        "float32": 32,
        "bfloat16": None,
        "float16": None,
    }
    assert per_cycle(["neon", "asimd"]) == {"float32": None, "bfloat16": None, "float16": None}


def test_float32_throughput_is_within_a_sane_factor_of_numpy(run):
    """Both call an optimised BLAS: measured in one run, they agree within a factor of 8
    (seen here: 0.8 to 1.2; the machine is shared, so the margin is wide)."""
    best = {}
    for r in run["records"]:
        best[r["implementation"]] = max(best.get(r["implementation"], 0), r["gflops"])
    ratio = best["torch"] / best["numpy"]
    assert 1 / 8 < ratio < 8, (
        f"torch float32 {best['torch']:.1f} GFLOP/s, numpy {best['numpy']:.1f}"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--devices", "tpu"], "device 'tpu' is not available here. Available: cpu"),
        (["--dtypes", "float8"], "argument --dtypes: invalid choice: 'float8'"),
        (["--sizes", "0"], "size must be between 1 and 16384, got 0"),
        (["--sizes", "big"], "not a whole number: 'big'"),
        (["--min-run-time", "nan"], "must be a finite number greater than 0, got 'nan'"),
        (["--min-run-time", "inf"], "must be a finite number greater than 0, got 'inf'"),
        (["--min-run-time", "0"], "must be a finite number greater than 0, got '0'"),
        (["--clock-ghz", "-1"], "argument --clock-ghz: must be a finite number greater"),
        (["--json", "/no/such/folder/out.json"], "directory '/no/such/folder' does not exist"),
        (["--json", "."], "'.' is a directory, not a file"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(args, message):
    process = start(*args)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2, stdout + stderr
    assert message in stderr
    assert stderr.startswith("usage: matmul_benchmark.py")


def test_help_exits_0():
    process = start("--help")
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "--json FILE" in stdout


def test_built_page_shows_the_machine_table_comparison_and_plot(site, example_text):
    """The notebook, as its one run printed it on the build machine (not rerun here)."""
    html = built_page(site.path, PROGRAM).read_text(encoding="utf-8")
    text = example_text("matmul_benchmark")
    assert "CPU: " in text
    assert re.search(r"clock: [\d.]+ GHz, from (cpufreq maximum|cpu MHz in /proc/cpuinfo)", text)
    assert re.search(r"estimated float32 peak at [\d.]+ GHz: ", text)
    assert "float32 matmul precision: highest" in text
    assert "one time.time() around the first call:" in text
    assert "size  dtype     device  library  time (ms)   GFLOP/s" in text
    for size in (128, 256, 512, 1024):
        assert f"  {size:>4}  float32   cpu     numpy" in text
    assert "PyTorch float32 / NumPy float32 on the CPU: " in text
    assert len(re.findall(r'<img alt="Matmul GFLOP/s against matrix size', html)) == 1, html
