"""Code embedded in docs/pytorch/what-is-pytorch.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:define-by-run]
import torch
from torch import nn


class Shrink(nn.Module):
    """Halves its input until every value lies in [-1, 1]."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        while x.abs().max() > 1:  # an ordinary Python loop, decided by the data
            x = x / 2
        return x


shrink = Shrink()
# --8<-- [end:define-by-run]

# --8<-- [start:data]
import torch
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, Dataset


class Digits(Dataset):
    """The 8-by-8 digit images scikit-learn ships, as (1, 8, 8) float tensors in [0, 1]."""

    def __init__(self, transform=None) -> None:
        digits = load_digits()
        self.images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16
        self.labels = torch.tensor(digits.target)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[index]


def standardise(image: torch.Tensor) -> torch.Tensor:
    """A transform is any function from tensor to tensor."""
    return (image - 0.3) / 0.4  # the training images' pixel mean and std, rounded


dataset = Digits(transform=standardise)
loader = DataLoader(
    dataset, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
)
# --8<-- [end:data]

# --8<-- [start:model]
import torch
from torch import nn


class DigitsCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),  # (N, 1, 8, 8) -> (N, 16, 8, 8)
            nn.ReLU(),
            nn.MaxPool2d(2),  # -> (N, 16, 4, 4)
            nn.Conv2d(16, 32, kernel_size=3, padding=1),  # -> (N, 32, 4, 4)
            nn.ReLU(),
            nn.MaxPool2d(2),  # -> (N, 32, 2, 2)
        )
        self.classify = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.features(x).flatten(1))


def train_step(model: nn.Module, optimizer, images, labels) -> float:
    """One step of gradient descent: forward, loss, backward, update."""
    model.train()
    loss = nn.functional.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


# --8<-- [end:model]
