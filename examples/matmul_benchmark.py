# %% [markdown]
# # Benchmarking matrix multiplication
#
# The [GPUs, TPUs and benchmarking](../../pytorch/gpus-and-tpus/) chapter says that deep
# learning is mostly matrix multiplication, and that hardware is judged by how fast it does
# it. This program measures that speed on every device PyTorch finds here, for `float32`,
# and for `bfloat16` and `float16` where the hardware has instructions for them. It
# compares the result with two yardsticks: NumPy's matrix multiplication in the same run,
# and the CPU's theoretical peak worked out from its own feature flags.
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
import math
import os
import sys
from pathlib import Path

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


def positive_number(text: str) -> float:
    """A finite number above 0 (float() alone also accepts 'nan' and 'inf')."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text!r}")
    return number


def writable_file(text: str) -> Path:
    """A path the results can be written to, checked now rather than after the run."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a directory, not a file")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"directory {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"cannot write to {text!r}")
    return path


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
    help="data types (default: all three, but on a CPU bfloat16 only with AVX-512 or AMX, and "
    "float16 only with float16 instructions: elsewhere they run a slow generic kernel)",
)
parser.add_argument(
    "--devices",
    nargs="+",
    default=None,
    help="devices such as cpu, cuda, cuda:1, mps (default: every available device)",
)
parser.add_argument(
    "--min-run-time",
    type=positive_number,
    default=0.1,
    help="seconds of timing per measurement, finite and above 0 (default: 0.1)",
)
parser.add_argument(
    "--clock-ghz",
    type=positive_number,
    default=None,
    metavar="GHZ",
    help="the CPU clock for the peak estimate (default: cpufreq's maximum, else the "
    "'cpu MHz' of /proc/cpuinfo)",
)
parser.add_argument(
    "--json", metavar="FILE", type=writable_file, help="also write the records and machine to FILE"
)
# A notebook kernel's own command line is not ours to parse.
args = parser.parse_args([] if "ipykernel" in sys.modules else sys.argv[1:])

# %% [markdown]
# ## The devices, and the machine
#
# `torch.accelerator` finds whichever accelerator this build of PyTorch supports (CUDA, MPS,
# XPU, ...). An explicit `--devices` request is honoured, and one that is not available here
# stops the program with a message naming the devices that are. A device named twice
# (`cuda` and `cuda:0`) is timed once, and `cpu:1` is refused: PyTorch has a single CPU
# device, which uses all the cores.

# %%
import platform
import re
import time

import numpy as np
import torch

if torch.accelerator.is_available():
    kind = torch.accelerator.current_accelerator().type
    available = ["cpu"] + [f"{kind}:{i}" for i in range(torch.accelerator.device_count())]
else:
    available = ["cpu"]


def parse_devices(names: list[str], available: list[str]) -> list[torch.device]:
    """The devices named, without repeats ('cuda' is 'cuda:0'); ValueError for one not here."""
    devices = []
    for name in names:
        try:
            device = torch.device(name)
        except RuntimeError:  # not a name PyTorch knows, such as "tpu"
            device = None
        if device is not None and device.type == "cpu" and device.index in (None, 0):
            device = torch.device("cpu")  # PyTorch has one CPU device: cpu:1 does not exist
        elif device is not None and device.index is None:
            device = torch.device(device.type, 0)
        if device is None or str(device) not in available:
            raise ValueError(
                f"device {name!r} is not available here. Available: {', '.join(available)}"
            )
        if device not in devices:
            devices.append(device)
    return devices


try:
    devices = parse_devices(args.devices or available, available)
except ValueError as error:
    parser.error(str(error))
print("devices:", ", ".join(str(d) for d in devices))
print(
    "torch", torch.__version__, "on", torch.get_num_threads(), "thread(s);", "numpy", np.__version__
)
# "highest" is true float32; "high" lets CUDA GPUs use TF32 Tensor Cores for float32 matmul.
print("float32 matmul precision:", torch.get_float32_matmul_precision())

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
# vector units. AMD's Zen 4 (CPU family 25 with `avx512f`) runs each 512-bit instruction as
# two 256-bit halves, so there AVX-512 gives what AVX2 does: 32 `float32` FLOPs per cycle
# (and 64 for `avx512_bf16`).
#
# The clock is the weakest input. The program takes, in this order: `--clock-ghz` if you
# give it, the maximum clock from cpufreq
# (`/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq`), else the `cpu MHz` line of
# `/proc/cpuinfo`, which on bare metal is the clock of that instant and under a virtual
# machine is often the host's base (time-stamp counter) rate. A virtual machine cannot
# know the clock its cores really run at, nor whether its "physical cores" are two
# hyper-threads of one host core. The other assumptions: two vector multiply-add units per
# core (some CPUs have one and reach half); every core used by PyTorch runs at that clock
# (cpufreq's maximum is the highest boost clock, which heavy vector work on many cores
# rarely holds, so from cpufreq the estimate is high; `cpu MHz` can be lower than the
# boost); hyper-threads share a core's
# units, so only physical cores count. Without the flags (another OS, an ARM CPU) the
# program gives no estimate. So the estimate is a yardstick, not a ceiling: a measurement
# above it means one of these inputs is wrong for this machine.


# %%
def parse_cpuinfo(text: str, max_khz: str | None = None) -> dict:
    """CPU model, family, cores, flags and clock from /proc/cpuinfo's text, and the clock
    from cpufreq's cpuinfo_max_freq (in kHz) when given."""
    field = lambda name: re.findall(rf"^{name}\s*:\s*(.*)$", text, re.MULTILINE)  # noqa: E731
    cores = set(zip(field("physical id"), field("core id"), strict=False))
    clocks = [float(mhz) for mhz in field("cpu MHz")]
    if max_khz and max_khz.strip().isdigit():
        clock_ghz, clock_source = int(max_khz) / 1e6, "cpufreq maximum"
    elif clocks:
        clock_ghz, clock_source = max(clocks) / 1000, "cpu MHz in /proc/cpuinfo"
    else:
        clock_ghz, clock_source = None, None
    return {
        "model": (field("model name") or [None])[0],
        "vendor": (field("vendor_id") or [None])[0],
        "family": int(field("cpu family")[0]) if field("cpu family") else None,
        "physical_cores": len(cores) or None,
        "clock_ghz": round(clock_ghz, 3) if clock_ghz else None,
        "clock_source": clock_source,
        "flags": sorted(set((field("flags") or [""])[0].split())),
    }


def read_cpu_info() -> dict:
    """parse_cpuinfo on this machine's files (Linux); less elsewhere."""
    read = lambda path: Path(path).read_text() if Path(path).is_file() else None  # noqa: E731
    text = read("/proc/cpuinfo") or ""
    info = parse_cpuinfo(text, read("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"))
    info["model"] = info["model"] or platform.processor() or platform.machine()
    info["logical_cpus"] = os.cpu_count()
    info["physical_cores"] = info["physical_cores"] or (os.cpu_count() if text else None)
    return info


def flops_per_cycle(flags: list[str], vendor: str | None = None, family: int | None = None):
    """Per core and cycle, for each dtype, under the assumptions above."""
    has = set(flags).__contains__
    zen4 = vendor == "AuthenticAMD" and family == 25  # AVX-512 in two 256-bit halves
    wide = 32 if zen4 else 64  # float32 FLOPs per cycle with avx512f
    fp32 = wide if has("avx512f") else 32 if has("avx2") and has("fma") else None
    # Without bfloat16 instructions, oneDNN still converts on AVX-512 (avx512bw), at about the
    # float32 rate; with AVX2 alone PyTorch runs a generic kernel, and there is no peak.
    bf16 = (
        1024
        if has("amx_bf16")
        else 2 * wide
        if has("avx512_bf16")
        else wide
        if has("avx512bw")
        else None
    )
    fp16 = 1024 if has("amx_fp16") else 2 * wide if has("avx512_fp16") else None
    return {"float32": fp32, "bfloat16": bf16, "float16": fp16}


cpu = read_cpu_info()
if args.clock_ghz:
    cpu["clock_ghz"], cpu["clock_source"] = args.clock_ghz, "--clock-ghz"
per_cycle = flops_per_cycle(cpu["flags"], cpu["vendor"], cpu["family"])
cores_used = min(torch.get_num_threads(), cpu["physical_cores"] or 1)
peak = {
    dtype: round(cores_used * n * cpu["clock_ghz"], 1) if n and cpu["clock_ghz"] else None
    for dtype, n in per_cycle.items()
}
vector_flags = [f for f in cpu["flags"] if re.match(r"(avx|fma$|amx)", f)]
print(f"CPU: {cpu['model']}, {cpu['physical_cores']} physical core(s) as the OS reports them")
print(f"clock: {cpu['clock_ghz']} GHz, from {cpu['clock_source']}")
print("vector flags:", " ".join(vector_flags) or "none found")
for dtype, value in peak.items():
    if value:
        print(
            f"estimated {dtype} peak at {cpu['clock_ghz']} GHz: {cores_used} core(s) × "
            f"{per_cycle[dtype]} FLOPs/cycle = {value:.0f} GFLOP/s"
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
    # Timer synchronises only the *current* accelerator, so make the measured one current
    # (device_index(None), for the CPU, changes nothing).
    with torch.accelerator.device_index(device.index):
        a @ b  # warm-up: the one-off costs happen here, untimed
        synchronize(device)
        timer = Timer(
            "a @ b",
            globals={"a": a, "b": b},
            num_threads=torch.get_num_threads(),  # Timer uses 1 thread unless told otherwise
        )
        return timer.blocked_autorange(min_run_time=args.min_run_time).median


def native_on(device: torch.device, dtype: str) -> bool:
    """False for a reduced-precision dtype on a CPU without instructions for it."""
    return device.type != "cpu" or dtype == "float32" or per_cycle[dtype] is not None


naive_n = 768  # a size the benchmark below does not use, so the first call really is first
# An accelerator if there is one: there the first call also pays for the context, and a
# clock that does not wait for the device times only the launch.
first = next((device for device in devices if device.type != "cpu"), devices[0])
naive_dtype = "bfloat16" if native_on(first, "bfloat16") else "float32"
a, b = random_pair(naive_n, getattr(torch, naive_dtype), first)
start = time.time()
a @ b
naive = time.time() - start
median = median_seconds(a, b, first)
print(f"{naive_n} × {naive_n} {naive_dtype} on {first}:")
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
# Every size, dtype and device, then NumPy on the CPU for `float32`. On a CPU, `bfloat16`
# without AVX-512 (an AVX2-only CPU), and `float16` without `float16` instructions, are
# skipped unless you ask for them with `--dtypes`. PyTorch runs a generic kernel there,
# tens of times slower (at n = 512, 126 ms against 3.6 ms
# for the workaround below, measured with oneDNN limited to AVX2 on the build machine). The
# workaround, when you must multiply such tensors on such a CPU, is to do the arithmetic in
# `float32` and round the result: `(a.float() @ b.float()).bfloat16()`.

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
        if not args.dtypes and not native_on(device, dtype):
            skipped.append(f"{dtype} on {device}: no {dtype} instructions among the CPU's flags")
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
# should land within a small factor of each other. On a CPU with AMX, `bfloat16` runs
# several times faster than `float32`; with `avx512_bf16` alone, about twice as fast; with
# AVX-512 but no `bfloat16` instructions (oneDNN converts), about as fast as `float32`; with
# AVX2 alone, tens of times slower (the reason it is skipped by default there).
#
# A figure above 100 % of the peak does not mean the hardware beat physics: it means an
# input of the estimate is wrong for this CPU. The usual culprit is the clock. Under a
# virtual machine `/proc/cpuinfo` often reports the host's base clock, while the core runs
# faster (turbo), and the estimate has to take one number for a quantity that changes.
# Rerun with `--clock-ghz` set to the CPU's documented boost clock for a higher yardstick.

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
    "float32_matmul_precision": torch.get_float32_matmul_precision(),
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
        "clock_source": cpu["clock_source"],
        "vector_flags": vector_flags,
        "formula": "cores_used × flops_per_cycle_per_core × clock_ghz",
        "assumptions": [
            "two vector multiply-add units per core, each at full width",
            "every core used runs at clock_ghz, taken from clock_source",
            "only physical cores count: hyper-threads share a core's units "
            "(a virtual machine's cores may be hyper-threads of one host core)",
            "float32: avx512f gives 64 FLOPs/cycle (32 on Zen 4), avx2 with fma 32",
            "bfloat16: amx_bf16 gives 1024, avx512_bf16 128 (64 on Zen 4), avx512bw the float32 "
            "rate, else a generic kernel",
            "float16: amx_fp16 gives 1024, avx512_fp16 128, else a generic kernel",
        ],
    },
}
result = {"machine": machine, "records": records, "skipped": skipped}
if args.json:
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("wrote", args.json)
print(f"{len(records)} records; machine: {machine['cpu_model']}, torch {machine['torch_version']}")
