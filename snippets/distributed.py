"""Code embedded in docs/pytorch/distributed.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:worker]
import os
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


def largest_difference(model: nn.Module, world_size: int) -> float:
    """Gather every process's weights; the largest difference from rank 0's."""
    mine = torch.cat([p.detach().flatten() for p in model.parameters()])
    everyone = [torch.empty_like(mine) for _ in range(world_size)]
    dist.all_gather(everyone, mine)  # a collective: every process must call it
    return max((w - everyone[0]).abs().max().item() for w in everyone)


def train_worker(
    rank: int,
    world_size: int,
    rendezvous: str,
    ddp: bool,
    steps: int,
    results,
    seed_by_rank: bool = False,
):
    """One process of the training job: its own data, a shared model if ddp is True."""
    torch.set_num_threads(1)  # the processes share the machine's cores
    dist.init_process_group(
        "gloo",
        init_method=rendezvous,
        rank=rank,
        world_size=world_size,
        timeout=timedelta(seconds=60),
    )
    try:
        torch.manual_seed(rank if seed_by_rank else 0)  # initial weights: same unless asked
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
        if ddp:
            model = DistributedDataParallel(model)  # copies rank 0's weights to every process
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        data = torch.Generator().manual_seed(100 + rank)  # each process its own examples
        differences = [largest_difference(model, world_size)]  # before any step
        for _ in range(steps):
            x = torch.randn(32, 8, generator=data)
            loss = nn.functional.mse_loss(model(x), x.sum(dim=1, keepdim=True))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            differences.append(largest_difference(model, world_size))
        results.put((rank, differences))
    finally:
        dist.destroy_process_group()
    # Leave at once: a spawned gloo process can abort in interpreter shutdown (see the text).
    os._exit(0)


# --8<-- [end:worker]

# --8<-- [start:launch]
import tempfile
from pathlib import Path

import torch.multiprocessing as mp


def train_in_processes(
    ddp: bool,
    world_size: int = 2,
    steps: int = 5,
    seed_by_rank: bool = False,
    start_method: str = "fork",
) -> list[list[float]]:
    """Run train_worker in world_size processes; the largest weight difference between
    the processes before training and after each step, as each process measured it."""
    results = mp.get_context(start_method).SimpleQueue()
    with tempfile.TemporaryDirectory() as folder:
        rendezvous = (Path(folder) / "rendezvous").as_uri()  # where the processes meet
        workers = mp.start_processes(
            train_worker,
            args=(world_size, rendezvous, ddp, steps, results, seed_by_rank),
            nprocs=world_size,
            start_method=start_method,
            join=False,
        )
        # Read while the workers run: a report larger than the pipe's buffer blocks its
        # worker until someone reads it, so waiting for the workers first could hang.
        reports = {}
        while len(reports) < world_size:
            if not results.empty():
                rank, differences = results.get()
                reports[rank] = differences
            else:
                workers.join(timeout=0.1)  # raises, naming the process, if one failed
        while not workers.join():  # then wait until every worker has exited
            pass
    return [reports[rank] for rank in range(world_size)]


# --8<-- [end:launch]
