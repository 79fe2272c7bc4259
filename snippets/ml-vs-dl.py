"""Code embedded in docs/deep-learning/ml-vs-dl.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:table_mlp]
import numpy as np
import torch
from torch import nn


def table_mlp(n_features: int, n_classes: int, seed: int = 0) -> nn.Module:
    """A small network for a table of numbers: one hidden layer of 32 neurons."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_features, 32), nn.ReLU(), nn.Linear(32, n_classes))


def as_batch(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """NumPy features and labels as one (inputs, targets) batch for `fit` and `evaluate`."""
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


# --8<-- [end:table_mlp]

# --8<-- [start:shapes]
import torch
from torch import nn

PLUS = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
CROSS = [(0, 0), (-1, -1), (1, 1), (-1, 1), (1, -1)]


def plus_or_cross(n: int, seed: int, size: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` noise images (n, 1, size, size) with a bright "+" (label 0) or "x" (label 1)
    drawn at a random place."""
    if size < 3:
        raise ValueError(f"size must be at least 3 to hold a 3 × 3 shape, got {size}")
    g = torch.Generator().manual_seed(seed)
    images = 0.8 * torch.rand(n, 1, size, size, generator=g)
    labels = torch.randint(0, 2, (n,), generator=g)
    rows = torch.randint(1, size - 1, (n,), generator=g)  # the centre of the shape
    cols = torch.randint(1, size - 1, (n,), generator=g)
    for i in range(n):
        for dr, dc in CROSS if labels[i] else PLUS:
            images[i, 0, rows[i] + dr, cols[i] + dc] = 1.0
    return images, labels


class ShapeCNN(nn.Module):
    """Eight filters of 3 by 3 pixels slide over the image; the strongest response of each,
    wherever it is, decides."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3)
        self.out = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.conv(x)).amax(dim=(2, 3)))  # global max pooling


# --8<-- [end:shapes]
