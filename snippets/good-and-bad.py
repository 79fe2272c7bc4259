"""Code embedded in docs/deep-learning/good-and-bad.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:template]
import torch


def class_means(images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The rule's whole knowledge: the average image of each class, (classes, *image shape)."""
    return torch.stack([images[labels == c].mean(0) for c in range(int(labels.max()) + 1)])


def nearest_mean(means: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Predict the class whose average image is closest (squared pixel distance)."""
    distances = ((images[:, None] - means[None]) ** 2).flatten(2).sum(2)  # (n, classes)
    return distances.argmin(1)


# --8<-- [end:template]

# --8<-- [start:rotate]
import math

import torch
import torch.nn.functional as F


def rotate(images: torch.Tensor, degrees: float) -> torch.Tensor:
    """Rotate a batch of images (n, channels, height, width) about their centres."""
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (n, channels, h, w), got {images.shape}")
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    rows = [[cos, -sin, 0.0], [sin, cos, 0.0]]
    theta = torch.tensor(rows, dtype=images.dtype, device=images.device).expand(len(images), 2, 3)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False)  # pixels outside become 0


# --8<-- [end:rotate]

# --8<-- [start:saliency]
import torch
from torch import nn


def saliency(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """|d log p(label) / d pixel| for every pixel: how much each pixel sways the answer."""
    images = images.detach().requires_grad_(True)
    log_p = model(images).log_softmax(dim=1).gather(1, labels[:, None])
    (grad,) = torch.autograd.grad(log_p.sum(), images)  # only the pixels' gradient
    return grad.abs()


def zero_pixels(images: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """A copy of flat images (n, pixels) with the pixels at `indices` (n, k) set to 0."""
    return images.clone().scatter_(1, indices, 0.0)


# --8<-- [end:saliency]

# --8<-- [start:fgsm]
import torch
from torch import nn


def fgsm(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, eps: float):
    """Fast gradient sign method: move every pixel by ±eps in the direction that raises the
    loss the most, and keep the pixels in [0, 1]."""
    images = images.detach().requires_grad_(True)
    loss = nn.functional.cross_entropy(model(images), labels)
    (grad,) = torch.autograd.grad(loss, images)
    return (images + eps * grad.sign()).clamp(0, 1).detach()


# --8<-- [end:fgsm]
