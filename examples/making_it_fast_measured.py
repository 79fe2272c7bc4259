# %% [markdown]
# # Making it fast, measured
#
# The [Making it fast](../../pytorch/making-it-fast/) chapter explains `torch.compile`,
# mixed precision, asynchronous execution and memory, and checks on every machine what does
# not depend on the machine. This program measures what does: how long compiling takes, how
# fast the compiled model runs, whether `bfloat16` is faster on this CPU and whether it
# trains as well, how far a queue runs ahead of its work, how activations grow with the
# batch, and what `DataLoader` workers buy. On a machine with a CUDA GPU it also measures
# the GPU; on one without, it says that it skipped it.
#
# The times on this page were measured on the machine that built the site, on one thread
# (the build sets `OMP_NUM_THREADS=1`) while other pages were running: read them as one
# core's, at that moment, and run the program on your own machine for yours
# (`pip install torch numpy scikit-learn matplotlib`; `python making_it_fast_measured.py`).

# %%
# --8<-- [start:model]
import torch
from torch import nn


def make_mlp(seed: int = 0) -> nn.Sequential:
    """A small classifier for 64 inputs (an 8 x 8 image, flattened) and 10 classes."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )


# --8<-- [end:model]

# %%
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import matplotlib.pyplot as plt

cpu_model, cpu_flags = platform.processor() or platform.machine(), set()
if Path("/proc/cpuinfo").exists():  # Linux: x86 lists "flags", ARM "Features"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model") and value.strip():
            cpu_model = value.strip()
        if key.strip() in ("flags", "Features"):
            cpu_flags |= set(value.split())
print(f"{cpu_model}; {os.cpu_count()} cores, {torch.get_num_threads()} thread(s) for torch")
print(f"torch {torch.__version__}, {platform.machine()}")
print("CUDA GPU:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")


# On one thread on Linux, steady-state calls are timed in this thread's CPU time, which counts
# no time spent waiting for a core: other programs running beside this one change it less
# than a wall clock, on which a comparison can swing either way. On several threads the
# work also runs on threads this one does not time; on macOS the matrix library may run
# threads of its own, and Windows counts a thread's time in 15.6 ms steps: there, the wall
# clock.
cpu_timed = torch.get_num_threads() == 1 and sys.platform == "linux"
steady_clock = time.thread_time if cpu_timed else time.perf_counter
print("steady-state times:", "CPU time of this thread" if cpu_timed else "wall clock")


def take_turns(
    calls: dict[str, Callable[[], object]], blocks: int, number: int
) -> dict[str, float]:
    """The median seconds of one call of each, on `steady_clock`, over `blocks` blocks of
    `number` calls, after one untimed call each. The calls take turns block by block, so a
    machine that slows down during the run slows them all."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    with torch.no_grad():
        for call in calls.values():
            call()
        for _ in range(blocks):
            for name, call in calls.items():
                start = steady_clock()
                for _ in range(number):
                    call()
                times[name].append((steady_clock() - start) / number)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


# %% [markdown]
# ## Compile time and steady state
#
# The first call of a compiled model captures its graph and has Inductor generate and
# compile C++ for it. To time a true first compile, as on a fresh machine, the program
# points Inductor's cache at a new, empty folder (`TORCHINDUCTOR_CACHE_DIR`). Two functions
# are compiled: the chapter's classifier, whose time goes into three matrix
# multiplications, and a chain of nine element-wise operations on a million numbers. The
# steady-state times are medians of 15 blocks of 10 calls, eager and compiled taking turns,
# on the clock printed above. The first call is timed on the wall clock: it includes the C++
# compiler, which runs in processes of its own.

# %%
os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="inductor-")
model = make_mlp().eval()
x = torch.randn(64, 64)


def chain(v: torch.Tensor) -> torch.Tensor:
    """Nine element-wise operations: eager mode reads and writes memory for each one."""
    w = torch.relu(v * 1.5 + 0.5) - 0.25 * v
    return (w * w + v.abs()).clamp(max=4.0)


def first_call(fn: Callable, *args: torch.Tensor) -> tuple[torch.Tensor, float]:
    start = time.perf_counter()
    with torch.no_grad():
        out = fn(*args)
    return out, time.perf_counter() - start


v = torch.randn(1_000_000)
print("            first call     eager  compiled  speed-up  first/compiled  largest difference")
for name, fn, args in [("classifier", model, (x,)), ("chain", chain, (v,))]:
    compiled_fn = torch.compile(fn)
    compiled_out, first = first_call(compiled_fn, *args)
    with torch.no_grad():
        difference = (compiled_out - fn(*args)).abs().max().item()
    steady = take_turns(
        {"eager": partial(fn, *args), "compiled": partial(compiled_fn, *args)}, 15, 10
    )
    eager_s, compiled_s = steady["eager"], steady["compiled"]
    print(
        f"{name:10}  {first:8.2f} s  {eager_s * 1e3:5.3f} ms  {compiled_s * 1e3:5.3f} ms"
        f"  {eager_s / compiled_s:7.2f}×  {first / compiled_s:14,.0f}  {difference:18.1e}"
    )

# %% [markdown]
# The first compile, with an empty cache, is the slow one: it includes starting Inductor and
# the C++ compiler. The outputs differ from eager mode's by rounding at most. The two
# functions gain very differently. Eager mode makes nine passes over the chain's million
# numbers, one for each operation, while Inductor fuses them into one loop that reads each
# number once, in the CPU's vector instructions. The classifier's time goes into matrix
# multiplications, which eager mode already runs in an optimised library, and the compiled
# version adds costs of its own to each call (checking the guards, and its own wrappers): it
# runs no faster compiled. (Timed on the wall clock while other programs run, this
# comparison can swing either way, since the waits for a core land on either side.) The
# `first/compiled` column divides a wall-clock time by a CPU time: on a busy machine the
# first call's waits for a core count and the steady calls' do not, so it rises.

# %% [markdown]
# ## bfloat16 on this CPU
#
# `torch.autocast` runs the matrix multiplications in `bfloat16`. Whether that is faster
# depends on the CPU: it needs `bfloat16` instructions (`avx512_bf16` or AMX's `amx_bf16`
# on x86, `bf16` on ARM; read from /proc/cpuinfo, so on another system this line says
# "none" whatever the CPU has). The time is for one forward pass of a wider model, where
# the matrix multiplications dominate, the two taking turns in 9 blocks of 3 calls.

# %%
wide = nn.Sequential(nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1024)).eval()
batch = torch.randn(256, 1024)


def wide_forward(autocast: bool) -> torch.Tensor:
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        return wide(batch)


has_bf16 = sorted(cpu_flags & {"avx512_bf16", "amx_bf16", "bf16"})
print("bfloat16 instructions on this CPU:", ", ".join(has_bf16) or "none")
steady = take_turns(
    {"f32": partial(wide_forward, False), "bf16": partial(wide_forward, True)}, 9, 3
)
float32_time, bfloat16_time = steady["f32"], steady["bf16"]
print(f"float32:            {float32_time * 1e3:7.2f} ms a forward pass")
print(f"autocast bfloat16:  {bfloat16_time * 1e3:7.2f} ms a forward pass")
print(f"bfloat16 against float32: {float32_time / bfloat16_time:.2f} times as fast")
print("output dtype under autocast:", wide_forward(True).dtype)

# %% [markdown]
# ## Does bfloat16 train as well?
#
# Speed is no use if the model learns less. The same classifier is trained on the 8 × 8
# digits, in `float32` and under `bfloat16` autocast, with the same initial weights and the
# same batches, on five splits and seeds, and tested on the held-out quarter.

# %%
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
images = torch.tensor(digits.data / 16, dtype=torch.float32)
labels = torch.tensor(digits.target)


def train_and_test(seed: int, autocast: bool) -> tuple[float, torch.dtype]:
    """Test accuracy after 10 epochs, and the dtype of the last batch's logits."""
    train_idx, test_idx = train_test_split(
        range(len(labels)), test_size=0.25, stratify=labels, random_state=seed
    )
    x_train, y_train = images[train_idx], labels[train_idx]
    net = make_mlp(seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    order = torch.Generator().manual_seed(seed)
    for _ in range(10):
        for rows in torch.randperm(len(y_train), generator=order).split(64):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                logits = net(x_train[rows])
            loss = nn.functional.cross_entropy(logits.float(), y_train[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        predicted = net(images[test_idx]).argmax(1)
    return (predicted == labels[test_idx]).float().mean().item(), logits.dtype


print("split  float32  bfloat16  (logits under autocast)")
for seed in range(5):
    (accuracy_32, _), (accuracy_16, logits_dtype) = (
        train_and_test(seed, autocast=False),
        train_and_test(seed, autocast=True),
    )
    print(f"{seed:>5}  {accuracy_32:7.3f}  {accuracy_16:8.3f}  {logits_dtype}")

# %% [markdown]
# On every split the two accuracies are within a point or so of each other: the weights and
# the optimizer stay in `float32`, and the rounding of `bfloat16` products is small next to
# the noise of stochastic gradients.

# %% [markdown]
# ## A queue runs ahead of its work
#
# The chapter models a CUDA stream with one worker thread: submitting work returns at once,
# and waiting for the last result is what synchronising does. Here are the two times, for
# ten 1024 × 1024 products.

# %%
from concurrent.futures import ThreadPoolExecutor

m = torch.randn(1024, 1024)
with ThreadPoolExecutor(max_workers=1) as stream:
    stream.submit(torch.mm, m, m).result()
    start = time.perf_counter()
    products = [stream.submit(torch.mm, m, m) for _ in range(10)]
    queued = time.perf_counter() - start
    products[-1].result()
    done = time.perf_counter() - start
print(f"the ten calls returned after {queued * 1e3:.2f} ms; done after {done * 1e3:.1f} ms")

# --8<-- [start:cuda-queue]
import time

import torch

if torch.cuda.is_available():
    gpu_m = torch.randn(4096, 4096, device="cuda")
    _ = gpu_m @ gpu_m  # warm-up
    torch.cuda.synchronize()
    gpu_start = time.perf_counter()
    gpu_products = [gpu_m @ gpu_m for _ in range(10)]
    gpu_queued = time.perf_counter() - gpu_start  # the time to queue them
    torch.cuda.synchronize()
    gpu_done = time.perf_counter() - gpu_start  # the time to do them
    begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    begin.record()  # events are queued too, and stamped by the GPU
    gpu_products = [gpu_m @ gpu_m for _ in range(10)]
    end.record()
    end.synchronize()
    gpu_ms = {"queued": gpu_queued * 1e3, "done": gpu_done * 1e3, "events": begin.elapsed_time(end)}
    gpu_ms  # a Python prompt shows it
# --8<-- [end:cuda-queue]
if torch.cuda.is_available():
    print(
        f"CUDA: returned after {gpu_ms['queued']:.3f} ms, done after {gpu_ms['done']:.3f} ms, "
        f"events {gpu_ms['events']:.3f} ms"
    )
else:
    print("No CUDA GPU here: the CUDA timing was skipped.")

# %% [markdown]
# ## Activations grow with the batch
#
# The chapter's `saved_bytes` counts the tensors a forward pass keeps for the backward
# pass. Here it is for the classifier and for a small CNN on 8 × 8 images, against the
# batch size, beside the bytes of their parameters, which do not grow.


# %%
# --8<-- [start:saved-bytes]
def saved_bytes(model: nn.Module, batch: torch.Tensor) -> int:
    """Bytes of the activations a forward pass of `model` keeps for its backward pass: the
    tensors autograd saves, each storage counted once (a ReLU's output that the next layer
    also saves is one tensor), and the parameters left out (they are saved by reference)."""
    seen = {p.untyped_storage().data_ptr() for p in model.parameters()}
    total = 0

    def pack(saved: torch.Tensor) -> torch.Tensor:
        nonlocal total
        storage = saved.untyped_storage()
        if storage.data_ptr() not in seen:
            seen.add(storage.data_ptr())
            total += storage.nbytes()
        return saved

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda saved: saved):
        model(batch)
    return total


# --8<-- [end:saved-bytes]

cnn = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 32, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(32 * 4 * 4, 10),
)
nets = {"MLP": model, "CNN": cnn}
sizes = [1, 16, 64, 256, 1024]  # the first is one example
print("batch  MLP activations  CNN activations")
grown = {"MLP": [], "CNN": []}
for n in sizes:
    grown["MLP"].append(saved_bytes(model, torch.randn(n, 64)))
    grown["CNN"].append(saved_bytes(cnn, torch.randn(n, 1, 8, 8)))
    print(f"{n:>5}  {grown['MLP'][-1]:>15,}  {grown['CNN'][-1]:>15,}")
parameter_bytes = {name: sum(p.nbytes for p in net.parameters()) for name, net in nets.items()}
for name in nets:
    print(
        f"{name}: {grown[name][0]:,} bytes of activations an example;"
        f" parameters {parameter_bytes[name]:,} bytes"
    )

# --8<-- [start:cuda-memory]
import torch
from torch import nn

if torch.cuda.is_available():
    # One wide hidden layer: 4,160 activations an example, so a batch shows in MiB.
    gpu_mlp = nn.Sequential(nn.Linear(64, 4096), nn.ReLU(), nn.Linear(4096, 10)).cuda()
    gpu_mlp(torch.randn(64, 64, device="cuda")).sum().backward()  # warm-up: .grad exists
    peaks = {}
    for n in (64, 1024, 16384):
        torch.cuda.synchronize()
        held = torch.cuda.memory_allocated()  # what tensors hold now, in bytes
        torch.cuda.reset_peak_memory_stats()
        gpu_mlp(torch.randn(n, 64, device="cuda")).sum().backward()
        peak = torch.cuda.max_memory_allocated()  # the most held at once
        peaks[n] = (peak / 2**20, (peak - held) / 2**20)  # MiB: the peak, what the batch added
    try:
        too_big = torch.empty(2**40, device="cuda")  # 4 TiB: more than any GPU holds
    except torch.OutOfMemoryError:
        too_big = None  # here: retry with a smaller batch, or accumulate gradients
    peaks  # a Python prompt shows it
# --8<-- [end:cuda-memory]
if torch.cuda.is_available():
    for n, (peak_mib, added_mib) in peaks.items():
        print(f"CUDA, batch {n:>6}: peak {peak_mib:.1f} MiB, {added_mib:.1f} MiB added")
else:
    print("No CUDA GPU here: the peak-memory measurement was skipped.")

# %% alt="Activation bytes against batch size, log-log: two parallel lines crossing parameter lines"
fig, ax = plt.subplots(figsize=(6, 3.6))
for name, colour in [("MLP", "tab:blue"), ("CNN", "tab:orange")]:
    ax.plot(sizes, grown[name], "o-", color=colour, label=f"{name} activations")
    ax.axhline(parameter_bytes[name], color=colour, linestyle=":", label=f"{name} parameters")
ax.set(xscale="log", yscale="log", xlabel="batch size", ylabel="bytes")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## DataLoader workers
#
# A dataset whose examples take time to prepare (here 2.5 ms each, standing in for decoding
# an image from disk) makes the training loop wait for its data. With `num_workers=2`, two
# worker processes prepare batches while the main process consumes them. The times are for
# one pass over 400 examples: in one process, then twice with the same two workers
# (`persistent_workers=True`), so the first pass includes starting them and the second
# does not.

# %%
from torch.utils.data import DataLoader, Dataset


class SlowDataset(Dataset):
    """400 constant 8 x 8 images, each taking 2.5 ms to 'decode'."""

    def __len__(self) -> int:
        return 400

    def __getitem__(self, index: int) -> torch.Tensor:
        time.sleep(0.0025)
        return torch.full((1, 8, 8), float(index))


def one_pass(loader: DataLoader) -> str:
    start = time.perf_counter()
    seen = sum(len(batch) for batch in loader)
    return f"{seen} examples in {time.perf_counter() - start:.2f} s"


# Workers started by "fork" inherit SlowDataset; "spawn" (the default on macOS, where fork
# is unsafe, and Windows) and "forkserver" (Linux from Python 3.14) would import this whole
# program again in each worker. So the measurement runs on Linux only.
if sys.platform.startswith("linux"):
    print("num_workers=0:", one_pass(DataLoader(SlowDataset(), batch_size=20)))
    loader = DataLoader(
        SlowDataset(), batch_size=20, num_workers=2, persistent_workers=True,
        multiprocessing_context="fork",
    )  # fmt: skip
    print("num_workers=2, first pass (starts the workers):", one_pass(loader))
    print("num_workers=2, second pass (the same workers):", one_pass(loader))
    del loader  # stops the workers
else:
    print(f"Not Linux ({sys.platform}): the worker measurement was skipped.")

# %% [markdown]
# Two workers take about half the time of one process: each prepares every other batch,
# and they wait for their examples at the same time. Starting them costs something, paid in
# the first pass only: little on an idle machine, more on a busy one, where the forked
# processes wait for a core. A `DataLoader` without `persistent_workers=True` starts its
# workers again at every pass over the data, that is, every epoch. More workers help up to
# the number of cores free for them (here the waiting is a sleep, which needs no core); each
# is a process with its own copy of the dataset object.
