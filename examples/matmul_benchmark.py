# %% [markdown]
# # Benchmarking matrix multiplication
#
# The [GPUs, TPUs and benchmarking](../../pytorch/gpus-and-tpus/) chapter says that deep
# learning is mostly matrix multiplication, and that hardware is judged by how fast it does
# it. This program measures that speed on every device PyTorch finds here, for `float32`,
# `bfloat16` and (where the hardware has it) `float16`. It compares the result with two
# yardsticks: NumPy's matrix multiplication in the same run, and the CPU's theoretical peak
# worked out from its own feature flags.
#
# A multiplication of two n × n matrices takes n³ multiplications and n³ additions: 2n³
# floating-point operations (FLOPs). Throughput is that count divided by the time, in
# GFLOP/s (10⁹ FLOPs per second).
#
# The numbers on this page were measured on the machine that built the site, while the
# build was running, so read them as that machine's and that moment's. The program is also
# a command-line tool: `python matmul_benchmark.py --help` lists its options (larger sizes,
# other dtypes, one device, `--json FILE` for the records and the machine description).

# %% [markdown]
# ## Settings
#
# Run as a notebook, the program uses the defaults: a few sizes that finish in seconds. From
# the command line, the same parser reads your options and stops with exit status 2 and a
# message on a bad one.

# %%
import argparse
import sys

DTYPES = ("float32", "bfloat16", "float16")


def positive_size(text: str) -> int:
    """A matrix size between 1 and 16384."""
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= size <= 16384:
        raise argparse.ArgumentTypeError(f"size must be between 1 and 16384, got {size}")
    return size


parser = argparse.ArgumentParser(
    prog="matmul_benchmark.py",
    description="Time n × n matrix multiplication on every available device, with NumPy "
    "and the CPU's estimated peak for comparison.",
)
parser.add_argument(
    "--sizes",
    type=positive_size,
    nargs="+",
    default=[128, 256, 512, 1024],
    help="matrix sizes n (default: 128 256 512 1024)",
)
parser.add_argument(
    "--dtypes",
    nargs="+",
    choices=DTYPES,
    default=None,
    help="data types (default: all three, float16 on a CPU only if it has float16 "
    "instructions, since elsewhere it is emulated and very slow)",
)
parser.add_argument(
    "--devices",
    nargs="+",
    default=None,
    help="devices such as cpu, cuda, cuda:1, mps (default: every available device)",
)
parser.add_argument(
    "--min-run-time",
    type=float,
    default=0.1,
    help="seconds of timing per measurement (default: 0.1)",
)
parser.add_argument("--json", metavar="FILE", help="also write the records and machine to FILE")
# A notebook kernel's own command line is not ours to parse.
args = parser.parse_args([] if "ipykernel" in sys.modules else sys.argv[1:])
if args.min_run_time <= 0:
    parser.error(f"--min-run-time must be positive, got {args.min_run_time}")

# %% [markdown]
# ## The devices, and the machine
#
# `torch.accelerator` finds whichever accelerator this build of PyTorch supports (CUDA, MPS,
# XPU, ...). An explicit `--devices` request is honoured, and one that is not available here
# stops the program with a message naming the devices that are.

# %%
import os
import platform
import re
import time
from pathlib import Path

import numpy as np
import torch

if torch.accelerator.is_available():
    kind = torch.accelerator.current_accelerator().type
    available = ["cpu"] + [f"{kind}:{i}" for i in range(torch.accelerator.device_count())]
else:
    available = ["cpu"]


def as_device(name: str) -> torch.device:
    """The device a --devices entry names, or a usage error listing the available ones."""
    try:
        device = torch.device(name)
    except RuntimeError:
        device = None
    if device is not None and device.type != "cpu" and device.index is None:
        device = torch.device(device.type, 0)
    if device is None or (device.type != "cpu" and str(device) not in available):
        parser.error(f"device {name!r} is not available here. Available: {', '.join(available)}")
    return device


devices = [as_device(name) for name in args.devices or available]
print("devices:", ", ".join(str(d) for d in devices))
print(
    "torch", torch.__version__, "on", torch.get_num_threads(), "thread(s);", "numpy", np.__version__
)

# %% [markdown]
# ### The CPU's theoretical peak
#
# A CPU core can start a fixed number of floating-point operations per clock cycle. The peak
# is cores × FLOPs per cycle × clock rate. The FLOPs per cycle follow from the vector
# instructions the CPU has, which Linux lists as flags in `/proc/cpuinfo`:
#
# | flag | what it adds | FLOPs per cycle per core |
# |---|---|---|
# | `avx2` and `fma` | 256-bit vectors, 8 `float32` lanes, fused multiply-add | 2 × 8 × 2 = 32 |
# | `avx512f` | 512-bit vectors, 16 `float32` lanes | 2 × 16 × 2 = 64 |
# | `avx512_bf16` | `bfloat16` pairs multiplied into `float32` sums | 2 × 32 × 2 = 128 |
# | `amx_bf16` | AMX tile units for `bfloat16` (some Intel Xeons) | 1024 |
# | `avx512_fp16`, `amx_fp16` | native `float16` arithmetic | 128, 1024 |
#
# Each product counts as two FLOPs (a multiply and an add); the 2 in front is the number of
# vector units.
#
# The assumptions: two vector multiply-add units per core, each at full width (some CPUs
# have one, or split 512-bit work into two halves, and reach half of this); every core used
# by PyTorch runs at the clock that `/proc/cpuinfo` reports (turbo can be higher, heavy
# vector work can lower it); hyper-threads share a core's units, so only physical cores
# count. Without the flags (another OS, an ARM CPU) the program gives no estimate.


# %%
def cpu_info() -> dict:
    """CPU model, cores, flags and clock from /proc/cpuinfo (Linux); less elsewhere."""
    info = {"model": platform.processor() or platform.machine(), "logical_cpus": os.cpu_count()}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {**info, "physical_cores": None, "clock_ghz": None, "flags": []}
    field = lambda name: re.findall(rf"^{name}\s*:\s*(.*)$", text, re.MULTILINE)  # noqa: E731
    cores = set(zip(field("physical id"), field("core id"), strict=False))
    clocks = [float(mhz) for mhz in field("cpu MHz")]
    return {
        "model": (field("model name") or [info["model"]])[0],
        "logical_cpus": info["logical_cpus"],
        "physical_cores": len(cores) or info["logical_cpus"],
        "clock_ghz": round(max(clocks) / 1000, 3) if clocks else None,
        "flags": sorted(set((field("flags") or [""])[0].split())),
    }


def flops_per_cycle(flags: list[str]) -> dict[str, int | None]:
    """Per core and cycle, for each dtype, under the assumptions above."""
    has = set(flags).__contains__
    fp32 = 64 if has("avx512f") else 32 if has("avx2") and has("fma") else None
    bf16 = 1024 if has("amx_bf16") else 128 if has("avx512_bf16") else fp32
    fp16 = 1024 if has("amx_fp16") else 128 if has("avx512_fp16") else None
    return {"float32": fp32, "bfloat16": bf16, "float16": fp16}


cpu = cpu_info()
per_cycle = flops_per_cycle(cpu["flags"])
cores_used = min(torch.get_num_threads(), cpu["physical_cores"] or 1)
peak = {
    dtype: round(cores_used * n * cpu["clock_ghz"], 1) if n and cpu["clock_ghz"] else None
    for dtype, n in per_cycle.items()
}
vector_flags = [f for f in cpu["flags"] if re.match(r"(avx|fma$|amx)", f)]
print(
    f"CPU: {cpu['model']}, {cpu['physical_cores']} physical core(s), clock {cpu['clock_ghz']} GHz"
)
print("vector flags:", " ".join(vector_flags) or "none found")
for dtype, value in peak.items():
    if value:
        print(
            f"estimated {dtype} peak: {cores_used} core(s) × {per_cycle[dtype]} FLOPs/cycle "
            f"× {cpu['clock_ghz']} GHz = {value:.0f} GFLOP/s"
        )
    else:
        print(f"estimated {dtype} peak: none (no instructions for it among the flags)")

# %% [markdown]
# ## Why one time.time() around the first call misleads
#
# The obvious way to time something is to read the clock before and after one call. The
# first call of an operation, though, pays one-off costs: PyTorch picks and prepares a
# kernel for these shapes and this dtype, and memory is allocated and touched for the first
# time. On a GPU there is a second trap: the call returns as soon as the work is queued, so
# the clock stops before the GPU has finished. Compare one naive first call with the median
# of many calls after a warm-up (measured below the same way as the benchmark):

# %%
from torch.utils.benchmark import Timer


def synchronize(device: torch.device) -> None:
    """Wait until the device has finished its queued work (a no-op on the CPU)."""
    if device.type != "cpu":
        torch.accelerator.synchronize(device)


def random_pair(n: int, dtype: torch.dtype, device: torch.device):
    g = torch.Generator().manual_seed(n)
    a, b = torch.randn(2, n, n, generator=g).to(device=device, dtype=dtype)
    return a, b


def median_seconds(a, b, device: torch.device) -> float:
    """Median time of a @ b over repeated runs, after a warm-up call."""
    a @ b  # warm-up: the one-off costs happen here, untimed
    synchronize(device)
    timer = Timer(
        "a @ b",
        globals={"a": a, "b": b},
        num_threads=torch.get_num_threads(),  # Timer uses 1 thread unless told otherwise
    )
    return timer.blocked_autorange(min_run_time=args.min_run_time).median


naive_n = 768  # a size the benchmark below does not use, so the first call really is first
a, b = random_pair(naive_n, torch.bfloat16, devices[0])
start = time.time()
a @ b
naive = time.time() - start
median = median_seconds(a, b, devices[0])
print(f"{naive_n} × {naive_n} bfloat16 on {devices[0]}:")
print(f"  one time.time() around the first call: {naive * 1e3:8.2f} ms")
print(f"  median of repeated calls after warm-up: {median * 1e3:8.2f} ms")
print(f"  the first call took {naive / median:.1f} times as long")

# %% [markdown]
# The median is what a training loop that runs the same multiplication thousands of times
# will see. `torch.utils.benchmark.Timer` does the repeating: it runs the statement in
# blocks until `min_run_time` has passed, synchronises an accelerator around each block, and
# reports the median block. It runs on one thread unless given `num_threads`, which would
# halve a 2-core CPU's throughput, so the program passes PyTorch's own thread count.
#
# ## The benchmark
#
# Every size, dtype and device, then NumPy on the CPU for `float32`. `float16` is skipped
# on a CPU without `float16` instructions (it is emulated there, tens of times slower)
# unless you ask for it with `--dtypes`.

# %%
records = []


def record(n: int, dtype: str, device: str, implementation: str, seconds: float) -> None:
    gflops = 2 * n**3 / seconds / 1e9
    records.append(
        {
            "size": n,
            "dtype": dtype,
            "device": device,
            "implementation": implementation,
            "seconds": seconds,
            "gflops": gflops,
        }
    )


skipped = []
for device in devices:
    for dtype in args.dtypes or DTYPES:
        native_fp16 = per_cycle["float16"] is not None
        if dtype == "float16" and device.type == "cpu" and not native_fp16 and not args.dtypes:
            skipped.append(f"float16 on {device}: no float16 instructions among the CPU's flags")
            continue
        for n in args.sizes:
            a, b = random_pair(n, getattr(torch, dtype), device)
            record(n, dtype, str(device), "torch", median_seconds(a, b, device))

for n in args.sizes:
    a, b = (t.numpy() for t in random_pair(n, torch.float32, torch.device("cpu")))
    a @ b  # warm-up
    seconds = Timer("a @ b", globals={"a": a, "b": b}).blocked_autorange(
        min_run_time=args.min_run_time
    )
    record(n, "float32", "cpu", "numpy", seconds.median)

print(f"{'size':>6}  {'dtype':<9} {'device':<7} {'library':<7} {'time (ms)':>10} {'GFLOP/s':>9}")
for r in records:
    print(
        f"{r['size']:>6}  {r['dtype']:<9} {r['device']:<7} {r['implementation']:<7} "
        f"{r['seconds'] * 1e3:>10.3f} {r['gflops']:>9.1f}"
    )
for reason in skipped:
    print("skipped:", reason)

# %% [markdown]
# ## Throughput against size
#
# Small matrices cannot keep all the arithmetic units busy: the time goes on calling the
# kernel and moving data. Throughput climbs with size towards a plateau, the best this
# device reaches for that dtype. The dashed lines are the estimated peaks of the CPU.

# %% alt="Matmul GFLOP/s against matrix size per device, dtype and library; CPU peaks dashed"
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 4))
series = sorted({(r["device"], r["dtype"], r["implementation"]) for r in records})
for device, dtype, implementation in series:
    points = [
        r
        for r in records
        if (r["device"], r["dtype"], r["implementation"]) == (device, dtype, implementation)
    ]
    label = f"{implementation} {dtype} on {device}"
    ax.plot([r["size"] for r in points], [r["gflops"] for r in points], marker="o", label=label)
for dtype, value in peak.items():
    if value and any(r["dtype"] == dtype and r["device"] == "cpu" for r in records):
        ax.axhline(value, linestyle="--", linewidth=1, color="grey")
        ax.annotate(f"{dtype} peak estimate", (args.sizes[0], value), va="bottom", fontsize=8)
ax.set_xscale("log", base=2)
ax.set_xlabel("matrix size n (n × n times n × n)")
ax.set_ylabel("GFLOP/s")
ax.set_title("Matrix multiplication throughput")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Against the yardsticks
#
# The best throughput of each series, as a fraction of the CPU's estimated peak, and
# PyTorch's `float32` against NumPy's. Both libraries call an optimised matrix-multiplication
# library underneath (oneDNN or MKL for PyTorch, OpenBLAS for NumPy's wheels), so they
# should land within a small factor of each other. On a CPU with AMX or `avx512_bf16`,
# `bfloat16` runs several times faster than `float32`; on one without them it may be no
# faster, or slower.
#
# A figure above 100 % of the peak does not mean the hardware beat physics: it means an
# assumption of the estimate is wrong for this CPU. The usual culprit is the clock. Under a
# virtual machine `/proc/cpuinfo` often reports the base clock, while the core runs faster
# (turbo), and the estimate has to take one number for a quantity that changes.

# %%
best = {}
for r in records:
    key = (r["device"], r["dtype"], r["implementation"])
    best[key] = max(best.get(key, 0.0), r["gflops"])
for (device, dtype, implementation), gflops in sorted(best.items()):
    line = f"{implementation} {dtype} on {device}: best {gflops:.1f} GFLOP/s"
    if device == "cpu" and peak.get(dtype):
        line += f", {gflops / peak[dtype]:.0%} of the estimated peak"
    print(line)
torch_fp32 = best.get(("cpu", "float32", "torch"))
numpy_fp32 = best.get(("cpu", "float32", "numpy"))
if torch_fp32 and numpy_fp32:
    print(f"PyTorch float32 / NumPy float32 on the CPU: {torch_fp32 / numpy_fp32:.2f}")
bf16 = best.get(("cpu", "bfloat16", "torch"))
if torch_fp32 and bf16:
    print(f"PyTorch bfloat16 / float32 on the CPU: {bf16 / torch_fp32:.2f}")

# %% [markdown]
# ## The records as JSON
#
# With `--json FILE` the program writes every record and the machine description, including
# how the peak estimate was derived, so results from different machines can be compared.

# %%
import json

machine = {
    "cpu_model": cpu["model"],
    "logical_cpus": cpu["logical_cpus"],
    "physical_cores": cpu["physical_cores"],
    "torch_threads": torch.get_num_threads(),
    "torch_version": torch.__version__,
    "numpy_version": np.__version__,
    "python_version": platform.python_version(),
    "platform": platform.platform(),
    "accelerators": [
        torch.cuda.get_device_name(d) if d.type == "cuda" else str(d)
        for d in devices
        if d.type != "cpu"
    ],
    "peak_estimate": {
        "gflops": peak,
        "flops_per_cycle_per_core": per_cycle,
        "cores_used": cores_used,
        "clock_ghz": cpu["clock_ghz"],
        "vector_flags": vector_flags,
        "formula": "cores_used × flops_per_cycle_per_core × clock_ghz",
        "assumptions": [
            "two vector multiply-add units per core, each at full width",
            "every core used runs at the clock /proc/cpuinfo reports (cpu MHz)",
            "only physical cores count: hyper-threads share a core's units",
            "float32: avx512f gives 64 FLOPs/cycle, avx2 with fma 32",
            "bfloat16: amx_bf16 gives 1024, avx512_bf16 128, else as float32",
            "float16: amx_fp16 gives 1024, avx512_fp16 128, else no native support",
        ],
    },
}
result = {"machine": machine, "records": records, "skipped": skipped}
if args.json:
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("wrote", args.json)
print(f"{len(records)} records; machine: {machine['cpu_model']}, torch {machine['torch_version']}")
