"""Code embedded in docs/deep-learning/neural-networks.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:layers]
import torch
from torch import nn

torch.manual_seed(0)
mlp = nn.Sequential(
    nn.Linear(64, 32),  # input layer -> first hidden layer: 64 pixel values in, 32 out
    nn.ReLU(),
    nn.Linear(32, 16),  # second hidden layer
    nn.ReLU(),
    nn.Linear(16, 10),  # output layer: one score per digit
)


class DigitMLP(nn.Module):
    """The same network as a class: layers in __init__, the data flow in forward."""

    def __init__(self, hidden: tuple[int, int] = (32, 16)) -> None:
        super().__init__()
        self.hidden1 = nn.Linear(64, hidden[0])
        self.hidden2 = nn.Linear(hidden[0], hidden[1])
        self.output = nn.Linear(hidden[1], 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.hidden1(x))
        x = torch.relu(self.hidden2(x))
        return self.output(x)


# --8<-- [end:layers]

# --8<-- [start:digits]
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

digits = load_digits()
images = torch.tensor(digits.images / 16, dtype=torch.float32).unsqueeze(1)  # (1797, 1, 8, 8)
labels = torch.tensor(digits.target)
train_x, test_x, train_y, test_y = train_test_split(
    images, labels, test_size=0.25, stratify=labels, random_state=0
)
train_loader = DataLoader(
    TensorDataset(train_x, train_y),
    batch_size=64,
    shuffle=True,
    generator=torch.Generator().manual_seed(0),
)
test_loader = DataLoader(TensorDataset(test_x, test_y), batch_size=512)
# --8<-- [end:digits]

# --8<-- [start:cnn]
import torch
from torch import nn


class SmallCNN(nn.Module):
    """Two convolution layers find local patterns; one linear layer classifies them."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),  # (1, 8, 8) -> (16, 8, 8)
            nn.ReLU(),
            nn.MaxPool2d(2),  # -> (16, 4, 4)
            nn.Conv2d(16, 32, kernel_size=3, padding=1),  # -> (32, 4, 4)
            nn.ReLU(),
            nn.MaxPool2d(2),  # -> (32, 2, 2)
        )
        self.classifier = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


# --8<-- [end:cnn]

# --8<-- [start:transformer]
import torch
from torch import nn


def reversal_batch(size: int, generator: torch.Generator, length: int = 8):
    """Random sequences of digits 0-9 and the same sequences reversed."""
    tokens = torch.randint(0, 10, (size, length), generator=generator)
    return tokens, tokens.flip(1)


class Reverser(nn.Module):
    """One Transformer encoder layer: each output position attends to every input position."""

    def __init__(
        self, length: int = 8, width: int = 32, heads: int = 4, positions: bool = True
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, width)  # a vector for each token 0-9
        self.position = nn.Embedding(length, width) if positions else None  # one per position
        layer = nn.TransformerEncoderLayer(
            width, heads, dim_feedforward=64, dropout=0.0, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=1)
        self.out = nn.Linear(width, 10)

    def inputs(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens)  # (batch, length, width)
        if self.position is not None:
            x = x + self.position(torch.arange(tokens.shape[1], device=tokens.device))
        return x

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        scores = self.out(self.encoder(self.inputs(tokens)))  # (batch, length, 10)
        return scores.transpose(1, 2)  # (batch, 10, length): the layout cross_entropy expects

    def attention(self, tokens: torch.Tensor) -> torch.Tensor:
        """Attention weights (batch, output position, input position), averaged over heads."""
        x = self.inputs(tokens)
        _, weights = self.encoder.layers[0].self_attn(x, x, x, need_weights=True)
        return weights


# --8<-- [end:transformer]
