"""Code embedded in docs/deep-learning/types-of-learning.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:data]
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
images = torch.tensor(digits.images / 16, dtype=torch.float32).unsqueeze(1)  # (1797, 1, 8, 8)
labels = torch.tensor(digits.target)
train_images, test_images, train_labels, test_labels = train_test_split(
    images, labels, test_size=0.25, stratify=labels, random_state=0
)
# --8<-- [end:data]

# --8<-- [start:autoencoder]
import copy

import torch
from torch import nn

CODE_SIZE = 10
torch.manual_seed(0)
encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, CODE_SIZE))
decoder = nn.Sequential(
    nn.Linear(CODE_SIZE, 64),
    nn.ReLU(),
    nn.Linear(64, 64),
    nn.Sigmoid(),  # pixel values in [0, 1]
    nn.Unflatten(1, (1, 8, 8)),
)
autoencoder = nn.Sequential(encoder, decoder)  # image -> 10 numbers -> image
untrained_encoder = copy.deepcopy(encoder)  # a control: the same weights, never trained
# --8<-- [end:autoencoder]

# --8<-- [start:contrastive]
import torch
import torch.nn.functional as F
from torch import nn


def augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A random small rotation, zoom and shift of each (1, 8, 8) image, plus pixel noise."""
    n = len(images)
    angle = (torch.rand(n, generator=generator) - 0.5) * 0.5  # up to ±0.25 rad (±14°)
    scale = 1 + (torch.rand(n, generator=generator) - 0.5) * 0.3
    shift = (torch.rand(n, 2, generator=generator) - 0.5) * 0.5
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta, images.shape, align_corners=False)
    moved = F.grid_sample(images, grid, align_corners=False)
    return moved + 0.1 * torch.randn(moved.shape, generator=generator)


def make_encoder() -> nn.Module:
    """A small CNN that turns a (1, 8, 8) image into 64 features."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64),
    )


def contrastive_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.2):
    """z1[i] and z2[i] come from two views of image i: each must pick its partner out of
    the batch (the SimCLR loss): a classification whose classes are the other images."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    similarity = z @ z.T / temperature
    similarity.fill_diagonal_(float("-inf"))  # an image is not its own partner
    n = len(z1)
    partners = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(similarity, partners)


def pretrain(encoder: nn.Module, images: torch.Tensor, epochs: int = 10, seed: int = 0):
    """Train `encoder` without labels: two augmented views of an image should agree."""
    generator = torch.Generator().manual_seed(seed)
    # The loss sees projection(encoder(x)); the projection head is thrown away afterwards.
    projection = nn.Sequential(nn.ReLU(), nn.Linear(64, 32))
    parameters = [*encoder.parameters(), *projection.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=3e-3)
    encoder.train()
    for _ in range(epochs):
        for batch in images[torch.randperm(len(images), generator=generator)].split(128):
            view1, view2 = augment(batch, generator), augment(batch, generator)
            loss = contrastive_loss(projection(encoder(view1)), projection(encoder(view2)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return encoder


# --8<-- [end:contrastive]

# --8<-- [start:probe]
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn


def features(encoder: nn.Module, images: torch.Tensor) -> np.ndarray:
    encoder.eval()
    with torch.no_grad():
        return encoder(images).numpy()


def few_labels(labels: torch.Tensor, per_class: int, seed: int = 0) -> torch.Tensor:
    """Indices of `per_class` random examples of each class."""
    generator = torch.Generator().manual_seed(seed)
    picks = []
    for c in labels.unique():
        members = torch.nonzero(labels == c).flatten()
        picks.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return torch.cat(picks)


def probe(encoder: nn.Module, train_x, train_y, test_x, test_y, standardise: bool = True) -> float:
    """Accuracy of logistic regression on the encoder's frozen features (a linear probe).

    A network's features come on arbitrary scales, so by default they are standardised,
    with means and deviations from the labelled training images only."""
    head = LogisticRegression(max_iter=2000)
    if standardise:
        head = make_pipeline(StandardScaler(), head)
    head.fit(features(encoder, train_x), train_y.numpy())
    return head.score(features(encoder, test_x), test_y.numpy())


# --8<-- [end:probe]
