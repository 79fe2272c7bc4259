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
# The numbers on this page were measured on the machine that built the site, on one
# thread (the build sets `OMP_NUM_THREADS=1`) while other pages were running, so read them
# as one core's, at that moment. The program is also
# a command-line tool: `pip install torch numpy threadpoolctl matplotlib`, then
# `python matmul_benchmark.py --help` lists its options (larger sizes, other dtypes, one
# device, `--json FILE` for the records and the machine description, `--plot FILE`).

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
SIZES = [16, 64, 256, 512]  # square sizes on every device
GPU_SIZES = [1024, 2048, 4096, 8192]  # added on an accelerator, whose plateau needs more
SHAPES = ["32x1024x1024"]  # m x k x n: a batch of 32 through a 1024-wide linear layer


def whole_number(low: int, high: int):
    """An argparse type: a whole number in [low, high] ('5.7' is refused, not cut to 5)."""

    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {value}")
        return value

    return number


size = whole_number(1, 16384)


def parse_shape(text: str) -> tuple[int, int, int]:
    """'MxKxN': an (M x K) @ (K x N) product, each between 1 and 16384."""
    parts = text.lower().split("x")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"not a shape MxKxN: {text!r}")
    m, k, n = (size(part) for part in parts)
    return m, k, n


def number_between(low: float, high: float):
    """An argparse type: a finite number in [low, high] (float() alone accepts 'nan', 'inf')."""

    def number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(
                f"must be a finite number from {low:g} to {high:g}, got {text!r}"
            )
        return value

    return number


def writable_file(text: str) -> Path:
    """A path the results can be written to, checked now by opening it (permission checks
    alone pass almost anything for root), rather than after the run."""
    path = Path(text)
    try:
        path.open("a", encoding="utf-8").close()
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot write to {text!r}: {error.strerror}") from None
    return path


parser = argparse.ArgumentParser(
    prog="matmul_benchmark.py",
    description="Time matrix multiplication on every available device, with NumPy "
    "and the CPU's estimated peak for comparison, and check every result.",
)
parser.add_argument(
    "--sizes",
    type=size,
    nargs="+",
    default=None,
    help=f"square sizes n (default: {' '.join(map(str, SIZES))}, and "
    f"{' '.join(map(str, GPU_SIZES))} on an accelerator)",
)
parser.add_argument(
    "--shapes",
    type=parse_shape,
    nargs="*",
    default=[parse_shape(text) for text in SHAPES],
    metavar="MxKxN",
    help=f"non-square products (M × K) @ (K × N) (default: {' '.join(SHAPES)}; "
    "give none to skip them)",
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
    "--blocks",
    type=whole_number(5, 1000),
    default=15,
    metavar="B",
    help="timed blocks per case, from 5 to 1000: the median and the spread are over these "
    "(default: 15)",
)
parser.add_argument(
    "--min-run-time",
    type=number_between(0.01, 3600),
    default=0.05,
    metavar="SECONDS",
    help="seconds of timing per case at least, split into the blocks (default: 0.05)",
)
parser.add_argument(
    "--clock-ghz",
    type=number_between(0.2, 10),
    default=None,
    metavar="GHZ",
    help="the CPU clock for the peak estimate, 0.2 to 10 (default: cpufreq's maximum, else "
    "the 'cpu MHz' of /proc/cpuinfo)",
)
parser.add_argument(
    "--json", metavar="FILE", type=writable_file, help="also write the records and machine to FILE"
)
parser.add_argument("--plot", metavar="FILE", type=writable_file, help="save the plot to FILE")
notebook = "ipykernel" in sys.modules  # a notebook kernel's command line is not ours to parse
args = parser.parse_args([] if notebook else sys.argv[1:])

# %% [markdown]
# ## The devices, and the machine
#
# `torch.accelerator` finds whichever accelerator this build of PyTorch supports (CUDA, MPS,
# XPU, ...). An explicit `--devices` request is honoured, and one that is not available here
# stops the program with a message naming the devices that are. A device named twice
# (`cuda` and `cuda:0`) is timed once, and `cpu:1` is refused: PyTorch has a single CPU
# device, which uses all the cores. NumPy's matrix library (BLAS) is told, through
# `threadpoolctl`, to use as many threads as PyTorch does. Each library's threads keep
# spinning for a while after a call, so the two are timed in separate passes: interleaved
# on several threads, each would run on cores the other's idle threads still occupy.
# (`OMP_WAIT_POLICY=PASSIVE` would stop PyTorch's spinning, but not OpenBLAS's, and it
# slows PyTorch's small products, whose threads must then be woken.)

# %%
import platform
import re
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

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
threads = torch.get_num_threads()
print("torch", torch.__version__, "on", threads, "thread(s);", "numpy", np.__version__)
# NumPy's BLAS picks its own thread count (often every logical CPU, where PyTorch takes the
# physical cores): give it PyTorch's, so that the two libraries are compared like for like.
threadpool_limits(limits=threads, user_api="blas")
blas = [
    {key: library.get(key) for key in ("internal_api", "version", "num_threads")}
    for library in threadpool_info()
    if library["user_api"] == "blas"
]
for library in blas:
    print(
        f"NumPy's BLAS: {library['internal_api']} {library['version']}, "
        f"{library['num_threads']} thread(s)"
    )
if not blas:  # Apple's Accelerate, for one, is not a library threadpoolctl controls
    print("NumPy's BLAS: not one threadpoolctl can find, so its threads are its own choice")
# "highest" is true float32; "high" lets CUDA GPUs use TF32 (TensorFloat-32: float32's range
# with 10 mantissa bits, on Tensor Cores) for float32 matmul.
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
# (and 64 for `avx512_bf16`). So do the Zen 5 laptop chips (family 26, "Ryzen AI" 300
# series); Zen 5 desktop and server chips have full-width units. A worked example: one
# Zen 4 core at 2.6 GHz peaks at 1 × 32 × 2.6 = 83.2 `float32` GFLOP/s, one Sapphire
# Rapids core (full-width AVX-512) at 2.6 GHz at 1 × 64 × 2.6 = 166.4. AMX does `float16`
# only on Granite Rapids (`amx_fp16`).
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

    def values(name: str) -> list[str]:
        return re.findall(rf"^{name}\s*:\s*(.*)$", text, re.MULTILINE)

    cores = len(set(zip(values("physical id"), values("core id"), strict=False)))
    if not cores and values("cpu cores"):  # a VM may omit the ids but give the count
        cores = int(values("cpu cores")[0]) * max(1, len(set(values("physical id"))))
    clocks = [float(mhz) for mhz in values("cpu MHz")]
    if max_khz and max_khz.strip().isdigit():
        clock_ghz, clock_source = int(max_khz) / 1e6, "cpufreq maximum"
    elif clocks:
        clock_ghz, clock_source = max(clocks) / 1000, "cpu MHz in /proc/cpuinfo"
    else:
        clock_ghz, clock_source = None, None
    return {
        "model": (values("model name") or [None])[0],
        "vendor": (values("vendor_id") or [None])[0],
        "family": int(values("cpu family")[0]) if values("cpu family") else None,
        "physical_cores": cores or None,
        "clock_ghz": round(clock_ghz, 3) if clock_ghz else None,
        "clock_source": clock_source,
        "flags": sorted(set((values("flags") or [""])[0].split())),
    }


def read_cpu_info() -> dict:
    """parse_cpuinfo on this machine's files (Linux); less elsewhere."""
    cpuinfo, max_freq = (
        Path("/proc/cpuinfo"),
        Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"),
    )
    text = cpuinfo.read_text() if cpuinfo.is_file() else ""
    info = parse_cpuinfo(text, max_freq.read_text() if max_freq.is_file() else None)
    info["model"] = info["model"] or platform.processor() or platform.machine()
    info["logical_cpus"] = os.cpu_count()
    info["physical_cores"] = info["physical_cores"] or (os.cpu_count() if text else None)
    return info


def halves_avx512(vendor: str | None, family: int | None, model: str | None) -> bool:
    """True for AMD cores that run each 512-bit instruction as two 256-bit halves: Zen 4
    (family 25) and the Zen 5 laptop chips (family 26, Ryzen AI 300 series)."""
    if vendor != "AuthenticAMD":
        return False
    laptop_zen5 = family == 26 and "Ryzen AI" in (model or "") and "Max" not in (model or "")
    return family == 25 or laptop_zen5


def flops_per_cycle(
    flags: list[str], vendor: str | None = None, family: int | None = None, model: str | None = None
):
    """Per core and cycle, for each dtype, under the assumptions above."""
    flags = set(flags)
    wide = 32 if halves_avx512(vendor, family, model) else 64  # float32 FLOPs/cycle, avx512f
    fp32 = fp16 = bf16 = None
    if "avx512f" in flags:
        fp32 = wide
    elif {"avx2", "fma"} <= flags:
        fp32 = 32
    if "amx_bf16" in flags:
        bf16 = 1024
    elif "avx512_bf16" in flags:
        bf16 = 2 * wide
    elif "avx512bw" in flags:  # oneDNN converts to float32 as it goes: 2-3x slower than it
        bf16 = wide // 2
    # else (AVX2 alone) PyTorch runs a generic kernel, and there is no peak
    if "amx_fp16" in flags:
        fp16 = 1024
    elif "avx512_fp16" in flags:
        fp16 = 2 * wide
    return {"float32": fp32, "bfloat16": bf16, "float16": fp16}


cpu = read_cpu_info()
if args.clock_ghz:
    cpu["clock_ghz"], cpu["clock_source"] = args.clock_ghz, "--clock-ghz"
per_cycle = flops_per_cycle(cpu["flags"], cpu["vendor"], cpu["family"], cpu["model"])
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

# NVIDIA's per-SM rates (FMAs per cycle; one FMA is 2 FLOPs), dense, from the architecture
# whitepapers: float32 on the ordinary lanes, "tf32" on Tensor Cores (float32 matmul when
# the precision is "high"), bfloat16 and float16 on Tensor Cores. Times the maximum clock,
# this is above the datasheets' Tensor Core figures (an H100 SXM: 1,070 against 989 TFLOP/s
# in bfloat16), which assume a lower clock under that load.
GPU_FMA_PER_SM = {
    (8, 0): {"float32": 64, "tf32": 512, "bfloat16": 1024, "float16": 1024},  # A100
    (9, 0): {"float32": 128, "tf32": 1024, "bfloat16": 2048, "float16": 2048},  # H100, H200
    (10, 0): {"float32": 128, "tf32": 2048, "bfloat16": 4096, "float16": 4096},  # B200
}


def gpu_peak(device: torch.device, dtype: str) -> float | None:
    """A CUDA GPU's peak in GFLOP/s: SMs x FMAs per cycle x 2 x its maximum clock; None for
    an architecture not in the table, for ROCm, MPS and the rest."""
    if device.type != "cuda" or torch.version.hip:
        return None
    props = torch.cuda.get_device_properties(device)
    clock_khz = getattr(props, "clock_rate", None)  # cudaDeviceProp.clockRate, the maximum
    if dtype == "float32" and torch.get_float32_matmul_precision() != "highest":
        dtype = "tf32"
    per_sm = GPU_FMA_PER_SM.get((props.major, props.minor), {}).get(dtype)
    if not (per_sm and clock_khz):
        return None
    return round(props.multi_processor_count * per_sm * 2 * clock_khz / 1e6, 1)


for device in devices:
    if device.type != "cpu":
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
        peaks = {dtype: gpu_peak(device, dtype) for dtype in DTYPES}
        known = ", ".join(f"{d} {v:.0f}" for d, v in peaks.items() if v) or "not known here"
        print(f"{device} ({name}) peak at its maximum clock (an upper bound), GFLOP/s: {known}")

# %% [markdown]
# ## Why one time.time() around the first call misleads
#
# The obvious way to time something is to read the clock before and after one call. The
# first call, though, pays one-off costs. On a CPU the first `float32` product of a process
# sets up the matrix library (its threads and buffers); the first `bfloat16` product of each
# new shape makes oneDNN generate a kernel for that shape, about a millisecond. On a GPU the
# inputs have been copied there already, so the CUDA context exists; the first product pays
# for cuBLAS (its handle and workspace) and for loading its kernels. There is a second trap
# on a GPU: the call returns as soon as the work is queued, so the clock stops before the
# GPU has finished. Compare one naive first call, at a small size on a CPU (where a fixed
# cost shows) and a larger one on an accelerator, with the median of repeated calls after
# a warm-up, measured the same way as the benchmark below:

# %%
import statistics
from dataclasses import dataclass, field


def synchronize(device: torch.device) -> None:
    """Wait until the device has finished its queued work (a no-op on the CPU)."""
    if device.type != "cpu":
        torch.accelerator.synchronize(device)  # this device, not only the current one


def random_pair(m: int, k: int, n: int, dtype: torch.dtype, device: torch.device):
    g = torch.Generator().manual_seed(m * k * n)
    a = torch.randn(m, k, generator=g).to(device=device, dtype=dtype)
    b = torch.randn(k, n, generator=g).to(device=device, dtype=dtype)
    return a, b


@dataclass
class Case:
    """One series point: the product a @ b to time (tensors, or NumPy arrays), and the block
    times it gets."""

    shape: tuple[int, int, int]
    dtype: str
    device: torch.device
    library: str
    a: object
    b: object
    number: int = 1  # calls per block, set by the warm-up
    times: list[float] = field(default_factory=list)  # seconds per call, one per block
    cpu_times: list[float] = field(default_factory=list)  # the same, in this thread's CPU time
    result: object = None


def block(case: Case, number: int) -> tuple[float, float]:
    """Seconds per call over one block of `number` calls, with the device synchronised: on
    the wall clock, and in the CPU time of this thread (which waiting for a core, while
    other programs run, does not add to)."""
    synchronize(case.device)
    start, start_cpu = time.perf_counter(), time.thread_time()
    for _ in range(number):
        case.result = case.a @ case.b
    synchronize(case.device)
    return (time.perf_counter() - start) / number, (time.thread_time() - start_cpu) / number


def measure(cases: list[Case], blocks: int, min_run_time: float) -> None:
    """The same warm-up for every case, then `blocks` timed blocks per case, round-robin."""
    block_time = min_run_time / blocks
    for case in cases:
        block(case, 1)  # the first call: its one-off costs are paid here, untimed
        while block(case, case.number)[0] * case.number < block_time:  # also warms up
            case.number *= 2
    for round_ in range(blocks):  # interleaved, so that drift (heat, other load) is shared
        start = round_ % len(cases)  # and each round starts with another case
        for case in cases[start:] + cases[:start]:
            seconds, cpu_seconds = block(case, case.number)
            case.times.append(seconds)
            case.cpu_times.append(cpu_seconds)


def quartiles(times: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(times, n=4, method="inclusive")
    return q1, median, q3


def native_on(device: torch.device, dtype: str) -> bool:
    """False for a reduced-precision dtype without instructions for it: on a CPU, from its
    flags; on a CUDA GPU, bfloat16 before compute capability 8.0 (a T4, a V100)."""
    if device.type == "cpu":
        return dtype == "float32" or per_cycle[dtype] is not None
    if device.type == "cuda" and dtype == "bfloat16":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    return True


# An accelerator if there is one: there a clock that does not wait times only the launch.
demo_device = next((device for device in devices if device.type != "cpu"), devices[0])
demo_n = 64 if demo_device.type == "cpu" else 768
# Rerun this cell in a notebook and the calls are no longer first: about 1x.
for demo_dtype in args.dtypes or ["float32", "bfloat16"]:
    if not native_on(demo_device, demo_dtype):
        continue
    a, b = random_pair(demo_n, demo_n, demo_n, getattr(torch, demo_dtype), demo_device)
    start = time.time()
    a @ b
    naive = time.time() - start
    synchronize(demo_device)
    naive_synced = time.time() - start
    demo = Case((demo_n,) * 3, demo_dtype, demo_device, "torch", a, b)
    measure([demo], blocks=5, min_run_time=args.min_run_time)
    median = quartiles(demo.times)[1]
    print(f"{demo_n} × {demo_n} {demo_dtype} on {demo_device}:")
    print(f"  one time.time() around the first call: {naive * 1e3:8.3f} ms")
    if demo_device.type != "cpu":
        print(f"  the same, waiting for the device:      {naive_synced * 1e3:8.3f} ms")
    print(f"  median of repeated calls after warm-up: {median * 1e3:8.3f} ms")
    print(
        f"  the first call took {naive / median:.1f} times as long, "
        f"{(naive - median) * 1e3:.2f} ms more, once"
    )

# %% [markdown]
# The median is what a training loop that runs the same multiplication thousands of times
# will see. The program times it with its own loop rather than
# `torch.utils.benchmark.Timer.blocked_autorange`, for three reasons:
#
# - `blocked_autorange` stops after `min_run_time`, so a slow case gets one or two blocks, and
#   its "median" is one of them. Here every case gets the same number of blocks (`--blocks`,
#   15 by default), so the median and the interquartile range (IQR: the middle half of the
#   block times) are real statistics.
# - It measures one case at a time: a machine that slows down during the run (heat, another
#   program) penalises whichever case came last. Here the cases of one size and library take
#   turns, round-robin, block by block (PyTorch's cases, then NumPy's, for the threads'
#   sake: see above).
# - Every case warms up the same way: one untimed first call, then blocks of 1, 2, 4, ...
#   calls until a block lasts `min_run_time / blocks`.
#
# `synchronize` waits for the measured device itself: `Timer` waits only for the current
# accelerator (`torch.accelerator.synchronize()` with no argument), so `cuda:1` would be
# timed on the launch alone.
#
# ## Checking every result
#
# A fast kernel that computes the wrong thing is worse than a slow one. Each case's last
# result is compared with the exact product of the same (rounded) inputs, in `float64` on
# the CPU. A full `float64` product would cost more than the benchmark at large n, so the
# check multiplies by a random block of vectors instead (Freivalds' trick): it compares
# `c @ x` with `a @ (b @ x)`, whose relative error follows that of `c` at O(n²) cost. The
# tolerance is 4 units of rounding of the dtype (of TF32 or `bfloat16` for `float32` when
# the matmul precision lets the hardware use them), plus the growth of a `float32` sum over
# k terms. A result outside it stops the program with an error.


# %%
def relative_error(a, b, c) -> float:
    """‖c x - a (b x)‖ / ‖a (b x)‖ in float64, for a fixed random x of 4 columns."""
    as64 = lambda t: torch.as_tensor(t).cpu().double()  # noqa: E731
    x = torch.randn(c.shape[-1], 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    exact = as64(a) @ (as64(b) @ x)
    return ((as64(c) @ x - exact).norm() / exact.norm()).item()


def tolerance(dtype: str, k: int, precision: str = "highest") -> float:
    """The largest relative error accepted for a product over k terms."""
    if dtype == "float32":
        unit = {"highest": 2**-24, "high": 2**-11, "medium": 2**-8}[precision]
    else:
        unit = {"bfloat16": 2**-8, "float16": 2**-11}[dtype]
    return 4 * unit + 4 * math.sqrt(k) * 2**-24


# %% [markdown]
# ## The benchmark
#
# Every shape, dtype and device, and NumPy on the CPU for `float32`, the cases of one shape
# and library interleaved. On a CPU, `bfloat16` without AVX-512 (an AVX2-only CPU), and `float16`
# without `float16` instructions, are skipped unless you ask for them with `--dtypes`.
# PyTorch runs a generic kernel there, tens of times slower (at n = 512, 126 ms against
# 3.6 ms for the workaround below, measured with oneDNN limited to AVX2 on the build
# machine). The workaround, when you must multiply such tensors on such a CPU, is to do the
# arithmetic in `float32` and round the result: `(a.float() @ b.float()).bfloat16()`.
#
# The table gives each case's median time per call, the IQR as a percentage of it (a `!`
# marks one above 10 %: rerun that on an idle machine), the throughput at the median, and
# the result's relative error.


# %%
def shapes_on(device: torch.device) -> list[tuple[int, int, int]]:
    sizes = args.sizes or SIZES + (GPU_SIZES if device.type != "cpu" else [])
    return list(dict.fromkeys([(n, n, n) for n in sizes] + args.shapes))


dtypes = list(dict.fromkeys(args.dtypes or DTYPES))
skipped = [
    f"{dtype} on {device}: no {dtype} instructions among the CPU's flags"
    for device in devices
    for dtype in dtypes
    if not args.dtypes and not native_on(device, dtype)
]


def summarise(case: Case) -> dict:
    """The record of a measured case, its result checked against the exact product."""
    m, k, n = case.shape
    q1, median, q3 = quartiles(case.times)
    precision = "highest" if case.library == "numpy" else torch.get_float32_matmul_precision()
    return {
        "shape": f"{m}x{k}x{n}",
        "size": n if m == k == n else None,
        "dtype": case.dtype,
        "device": str(case.device),
        "implementation": case.library,
        "seconds": median,
        "iqr_seconds": q3 - q1,
        "fastest_seconds": min(case.times),
        # On a GPU the host thread's time is spent waiting for the device: it means nothing.
        "fastest_cpu_seconds": min(case.cpu_times) if case.device.type == "cpu" else None,
        "blocks": len(case.times),
        "calls_per_block": case.number,
        "gflops": 2 * m * k * n / median / 1e9,
        "relative_error": relative_error(case.a, case.b, case.result),
        "tolerance": tolerance(case.dtype, k, precision),
    }


def outside_tolerance(records: list[dict]) -> list[str]:
    """The records whose result is wrong (a NaN error counts as wrong)."""
    return [
        f"{r['implementation']} {r['dtype']} {r['shape']} on {r['device']}: "
        f"{r['relative_error']:.2g}"
        for r in records
        if not r["relative_error"] <= r["tolerance"]
    ]


records = []
for mkn in dict.fromkeys(s for device in devices for s in shapes_on(device)):
    torch_cases = []
    for device in devices:
        for dtype in dtypes:
            if mkn in shapes_on(device) and (args.dtypes or native_on(device, dtype)):
                a, b = random_pair(*mkn, getattr(torch, dtype), device)
                torch_cases.append(Case(mkn, dtype, device, "torch", a, b))
    numpy_cases = []
    host = torch.device("cpu")
    if "float32" in dtypes and host in devices and mkn in shapes_on(host):
        a, b = (t.numpy() for t in random_pair(*mkn, torch.float32, host))
        numpy_cases.append(Case(mkn, "float32", host, "numpy", a, b))
    for cases in (torch_cases, numpy_cases):  # one library at a time
        if cases:
            measure(cases, args.blocks, args.min_run_time)
            records += [summarise(case) for case in cases]  # then the tensors are freed
    del torch_cases, numpy_cases, cases
wrong = outside_tolerance(records)

print(
    f"{'shape':>14}  {'dtype':<9} {'device':<7} {'library':<7} {'time (ms)':>10} {'IQR':>5} "
    f"{'GFLOP/s':>9} {'rel. error':>10}"
)
for r in records:
    spread = r["iqr_seconds"] / r["seconds"]
    print(
        f"{r['shape']:>14}  {r['dtype']:<9} {r['device']:<7} {r['implementation']:<7} "
        f"{r['seconds'] * 1e3:>10.4f} {spread:>4.0%}{'!' if spread > 0.1 else ' '}"
        f"{r['gflops']:>9.1f} {r['relative_error']:>10.1e}"
    )
for reason in skipped:
    print("skipped:", reason)
if wrong:
    raise RuntimeError("results outside the tolerance: " + "; ".join(wrong))
print(f"every result within its tolerance; {args.blocks} blocks per case")

# %% [markdown]
# ## Throughput against size
#
# Throughput climbs with size towards a plateau, the best this device reaches for that
# dtype. The bars span each case's IQR; the dashed lines are the CPU's estimated peaks. The
# next section says why small matrices fall short.

# %% alt="Matmul GFLOP/s against matrix size per device, dtype and library; CPU peaks dashed"
import matplotlib.pyplot as plt

square = [r for r in records if r["size"]]
fig, ax = plt.subplots(figsize=(7, 4))
for device, dtype, implementation in sorted(
    {(r["device"], r["dtype"], r["implementation"]) for r in square}
):
    points = [
        r
        for r in square
        if (r["device"], r["dtype"], r["implementation"]) == (device, dtype, implementation)
    ]
    gflops = [r["gflops"] for r in points]
    flops = [2 * r["size"] ** 3 / 1e9 for r in points]
    # The IQR of the time, as a range of throughput around the median.
    low = [
        g - f / (r["seconds"] + r["iqr_seconds"] / 2)
        for g, f, r in zip(gflops, flops, points, strict=True)
    ]
    high = [
        f / max(r["seconds"] - r["iqr_seconds"] / 2, 1e-12) - g
        for g, f, r in zip(gflops, flops, points, strict=True)
    ]
    ax.errorbar(
        [r["size"] for r in points],
        gflops,
        yerr=[low, high],
        marker="o",
        capsize=3,
        label=f"{implementation} {dtype} on {device}",
    )
for dtype, value in peak.items():
    if value and any(r["dtype"] == dtype and r["device"] == "cpu" for r in square):
        ax.axhline(value, linestyle="--", linewidth=1, color="grey")
        ax.annotate(
            f"{dtype} peak estimate",
            (min(r["size"] for r in square), value),
            va="bottom",
            fontsize=8,
        )
ax.set_xscale("log", base=2)
ax.set_xlabel("matrix size n (n × n times n × n)")
ax.set_ylabel("GFLOP/s")
ax.set_title("Matrix multiplication throughput")
ax.legend(fontsize=8)
if args.plot:
    fig.savefig(args.plot)
if notebook:  # from the command line, show() could stop the program at a window
    plt.show()

# %% [markdown]
# ## Why small matrices are slow: a roofline
#
# A product (m × k) @ (k × n) does 2mkn FLOPs and must at least read both inputs and write
# the output: (mk + kn + mn) numbers. The ratio, FLOPs per byte moved, is its **arithmetic
# intensity**. For a square n it is 2n³ / (3n² × bytes per number) = 2n / (3 × bytes): 2.7
# FLOP/byte at n = 16 in `float32`, 85 at n = 512. The **roofline** model says a kernel
# runs at the lower of the peak and intensity × memory bandwidth. A CPU core streams roughly
# 10 to 20 GB/s from main memory and several times that from its caches, so a product with
# an intensity of a few FLOP/byte is memory bound, and one of over 100 can run at the
# arithmetic peak.
#
# The smallest square products here fit in the cache, and what bounds them is a third
# thing: the fixed cost of a call (checking arguments, choosing a kernel, allocating the
# result), a microsecond or so on a CPU and several on a GPU. The program estimates it
# from each series: the time at the smallest size minus the time its FLOPs would take at
# the series' best throughput (when that is clearly below the best: under half of it). The
# non-square case, a batch of 32 rows through a
# 1024 × 1024 weight matrix (a linear layer), has an intensity near 15 FLOP/byte in
# `float32`: each weight is fetched for only 32 rows. Its 4 MB of weights fit in this CPU's
# cache, so here it can still come near the square plateau (the lines below say how near);
# where they do not fit, or on a GPU, whose bandwidth is small beside its FLOP rate, such
# thin products are memory bound, one reason small batches use hardware poorly.


# %%
def intensity(m: int, k: int, n: int, bytes_per_number: int) -> float:
    """FLOPs per byte when each matrix moves once."""
    return 2 * m * k * n / ((m * k + k * n + m * n) * bytes_per_number)


best = {}  # the best throughput of each series, over the square sizes
for r in square:
    key = (r["device"], r["dtype"], r["implementation"])
    best[key] = max(best.get(key, 0.0), r["gflops"])
for key, plateau in sorted(best.items()):
    smallest = min(
        (r for r in square if (r["device"], r["dtype"], r["implementation"]) == key),
        key=lambda r: r["size"],
    )
    if smallest["gflops"] > plateau / 2:
        continue  # too close to the plateau for a fixed cost to show
    work = 2 * smallest["size"] ** 3 / (plateau * 1e9)
    print(
        f"{key[2]} {key[1]} on {key[0]}: n = {smallest['size']} took "
        f"{smallest['seconds'] * 1e6:.1f} µs, its FLOPs {work * 1e6:.2f} µs at the best rate: "
        f"fixed cost about {(smallest['seconds'] - work) * 1e6:.1f} µs a call"
    )
for r in records:
    m, k, n = map(int, r["shape"].split("x"))
    size = torch.finfo(getattr(torch, r["dtype"])).bits // 8
    if not r["size"]:
        plateau = best.get((r["device"], r["dtype"], r["implementation"]))
        share = f", {r['gflops'] / plateau:.0%} of the square plateau" if plateau else ""
        print(
            f"{r['implementation']} {r['dtype']} {r['shape']} on {r['device']}: "
            f"{intensity(m, k, n, size):.0f} FLOP/byte, {r['gflops']:.1f} GFLOP/s{share}"
        )

# %% [markdown]
# ## Against the yardsticks
#
# The best throughput of each series, as a fraction of the estimated peak, and PyTorch's
# `float32` against NumPy's, both on the same number of threads. Both libraries call an
# optimised matrix-multiplication library underneath (oneDNN or MKL for PyTorch; OpenBLAS
# for NumPy's wheels, Apple's Accelerate on macOS arm64), so they should land within a
# small factor of each other. On a CPU with AMX, `bfloat16` can run several times faster
# than `float32`; with `avx512_bf16` alone its peak is twice that of `float32`; with AVX-512
# but no `bfloat16` instructions, oneDNN converts to `float32` as it goes, two to three
# times slower than `float32` (measured with oneDNN limited to that instruction set; its
# yardstick is half the `float32` peak); with AVX2 alone, it is tens of times slower (the
# reason it is skipped by default there). The measured ratio,
# printed last, can exceed the ratio of the peaks: each kernel reaches its own fraction of
# its peak. On one thread, as the build runs them, these two comparisons are timed in CPU
# time; otherwise on the wall clock (see the comment in the code).
#
# The build runs every example on one thread (`OMP_NUM_THREADS=1`), beside other pages
# running at the same time, so the numbers on this page are one core's, on a shared
# machine; the peak counts one core to match. A figure above 100 % of the peak does not
# mean the hardware beat physics: an input of the estimate is wrong for this CPU, usually
# the clock. Under a virtual machine `/proc/cpuinfo` often reports the host's base clock,
# while a lightly loaded core runs faster (boost), and the estimate has to take one number
# for a quantity that changes. Rerun with `--clock-ghz` set to the CPU's documented boost
# clock for a higher yardstick.

# %%
for (device, dtype, implementation), gflops in sorted(best.items()):
    line = f"{implementation} {dtype} on {device}: best {gflops:.1f} GFLOP/s"
    reference = peak.get(dtype) if device == "cpu" else gpu_peak(torch.device(device), dtype)
    if reference:
        line += f", {gflops / reference:.0%} of the estimated peak"
    print(line)


# The two comparisons take each case's fastest block, shape by shape. On one thread they use
# its CPU time, which counts no time spent waiting for a core, so other programs add little
# to it (up to 20 % here, where they add 4 times or more to the wall clock: beside three to
# six busy loops on a 2-core Zen 4, the bfloat16 / float32 ratio of medians ranged from 0.5
# to 9 shape by shape, that of the fastest wall-clock blocks from 0.4 to 9, and that of CPU
# times from 1.9 to 2.5). On several threads, PyTorch's or NumPy's, the product also runs on
# threads this one does not time, and Windows counts a thread's time in 15.6 ms steps, too
# coarse for a block: there they use the wall clock.
cpu_timed = (
    threads == 1
    and sys.platform != "win32"
    and bool(blas)
    and all(library["num_threads"] == 1 for library in blas)
)
clock = "CPU time" if cpu_timed else "wall-clock time"
column = "fastest_cpu_seconds" if cpu_timed else "fastest_seconds"
fastest = {(r["shape"], r["dtype"], r["implementation"]): r[column]
           for r in records if r["device"] == "cpu"}  # fmt: skip


def speed_ratio(
    fastest: dict, series: tuple[str, str], baseline: tuple[str, str]
) -> tuple[float, int] | None:
    """How many times as fast `series` (dtype, library) ran as `baseline` on the CPU, from the
    `fastest` seconds of each: the median over the shapes both ran, of 256³ and more, and
    how many shapes that is."""
    shapes = [shape for shape, *rest in fastest if tuple(rest) == baseline
              and math.prod(map(int, shape.split("x"))) >= 256**3]  # fmt: skip
    ratios = [fastest[shape, *baseline] / fastest[shape, *series] for shape in shapes
              if (shape, *series) in fastest]  # fmt: skip
    return (statistics.median(ratios), len(ratios)) if ratios else None


for label, series, baseline in [
    ("PyTorch float32 / NumPy float32", ("float32", "torch"), ("float32", "numpy")),
    ("PyTorch bfloat16 / float32", ("bfloat16", "torch"), ("float32", "torch")),
]:
    if compared := speed_ratio(fastest, series, baseline):
        ratio, shapes = compared
        print(
            f"{label} speed on the CPU ({clock} of the fastest blocks, median over "
            f"{shapes} shapes): {ratio:.2f}"
        )

# %% [markdown]
# ## The records as JSON
#
# With `--json FILE` the program writes every record (median, IQR, the fastest block on the
# wall clock and in CPU time, blocks, relative error) and the machine description: versions,
# CPU, threads, the clocks used, how the peak estimate was derived, and the date (in the file
# only: the page shows no date, so the same run reads the same on any day).

# %%
import datetime
import json

machine = {
    "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    "cpu_model": cpu["model"],
    "logical_cpus": cpu["logical_cpus"],
    "physical_cores": cpu["physical_cores"],
    "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    "torch_threads": threads,
    "numpy_blas": blas,
    "environment": {
        name: os.environ.get(name)
        for name in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "ONEDNN_MAX_CPU_ISA")
    },
    "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
    "float32_matmul_precision": torch.get_float32_matmul_precision(),
    "torch_version": torch.__version__,
    "cuda_version": torch.version.cuda,
    "hip_version": torch.version.hip,
    "numpy_version": np.__version__,
    "python_version": platform.python_version(),
    "platform": platform.platform(),
    "timer": {
        "clock": "time.perf_counter",
        "implementation": time.get_clock_info("perf_counter").implementation,
        "blocks_per_case": args.blocks,
        "min_run_time": args.min_run_time,
        "order": "cases of one shape and library round-robin, block by block",
        "cpu_clock": "time.thread_time",
        "cpu_clock_implementation": time.get_clock_info("thread_time").implementation,
        "comparison_clock": clock,
    },
    "accelerators": [
        {
            "device": str(d),
            "name": torch.cuda.get_device_name(d) if d.type == "cuda" else d.type,
            "peak_gflops": {dtype: gpu_peak(d, dtype) for dtype in DTYPES},
        }
        for d in devices
        if d.type != "cpu"
    ],
    "peak_estimate": {
        "gflops": peak,
        "flops_per_cycle_per_core": per_cycle,
        "cores_used": cores_used,
        "clock_ghz": cpu["clock_ghz"],
        "clock_source": cpu["clock_source"],
        "clock_is_boost": cpu["clock_source"] == "cpufreq maximum",
        "vector_flags": vector_flags,
        "formula": "cores_used × flops_per_cycle_per_core × clock_ghz",
        "assumptions": [
            "two vector multiply-add units per core, each at full width",
            "every core used runs at clock_ghz, taken from clock_source",
            "only physical cores count: hyper-threads share a core's units "
            "(a virtual machine's cores may be hyper-threads of one host core)",
            "float32: avx512f gives 64 FLOPs/cycle (32 on Zen 4 and Zen 5 laptop chips), "
            "avx2 with fma 32",
            "bfloat16: amx_bf16 gives 1024, avx512_bf16 twice the float32 rate, avx512bw "
            "(oneDNN converts) half of it, else a generic kernel",
            "float16: amx_fp16 gives 1024, avx512_fp16 twice the float32 rate, else a generic "
            "kernel",
        ],
    },
}
result = {"machine": machine, "records": records, "skipped": skipped}
if args.json:
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("wrote", args.json)
print(f"{len(records)} records; machine: {machine['cpu_model']}, torch {machine['torch_version']}")
