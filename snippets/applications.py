"""Code embedded in docs/deep-learning/applications.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:kernels]
import torch
import torch.nn.functional as F
from sklearn.datasets import load_sample_image

photo = torch.tensor(load_sample_image("china.jpg"), dtype=torch.float32) / 255  # (427, 640, 3)
grey = (photo @ torch.tensor([0.299, 0.587, 0.114]))[None, None]  # (1, 1, 427, 640): N, C, H, W

sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
edge_kernels = torch.stack([sobel_x, sobel_x.T]).unsqueeze(1)  # (2, 1, 3, 3): out, in, kH, kW
edges = F.conv2d(grey, edge_kernels)  # (1, 2, 425, 638): left-right and up-down changes
blur_kernel = torch.full((1, 1, 5, 5), 1 / 25)  # each pixel becomes its 5 x 5 neighbourhood's mean
blurred = F.conv2d(grey, blur_kernel)  # (1, 1, 423, 636)


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels: how much detail an image has."""
    return image.diff(dim=-1).abs().mean() + image.diff(dim=-2).abs().mean()


# --8<-- [end:kernels]

# --8<-- [start:sentences]
import torch

ADJECTIVES = ["big", "small", "old", "young", "brown", "black", "happy", "angry"]
VERBS = ["chased", "bit", "saw", "followed", "heard", "licked"]


def make_sentences(n: int, generator: torch.Generator) -> tuple[list[str], torch.Tensor]:
    """n sentences about a dog and a cat; the label is 1 when the dog does the action."""
    sentences, labels = [], []
    for _ in range(n):
        dog_acts = torch.randint(2, (), generator=generator).item()
        first, second = ("dog", "cat") if dog_acts else ("cat", "dog")
        adjective_1, adjective_2 = (
            ADJECTIVES[i] for i in torch.randint(len(ADJECTIVES), (2,), generator=generator)
        )
        verb = VERBS[torch.randint(len(VERBS), (), generator=generator).item()]
        sentences.append(f"the {adjective_1} {first} {verb} the {adjective_2} {second}")
        labels.append(dog_acts)
    return sentences, torch.tensor(labels)


# --8<-- [end:sentences]

# --8<-- [start:text_models]
import torch
from torch import nn


class BagOfWords(nn.Module):
    """The mean of the words' embeddings, then a linear layer: blind to word order."""

    def __init__(self, vocab_size: int, dim: int = 16) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.out = nn.Linear(dim, 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # (batch, length) of word ids
        return self.out(self.embedding(tokens).mean(dim=1))


class GRUClassifier(nn.Module):
    """Reads the embeddings in order with a GRU; classifies from its last hidden state."""

    def __init__(self, vocab_size: int, dim: int = 16) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _, last_hidden = self.gru(self.embedding(tokens))  # (1, batch, dim)
        return self.out(last_hidden[0])


# --8<-- [end:text_models]

# --8<-- [start:speech]
import math

import torch
import torch.nn.functional as F

SAMPLE_RATE = 6000  # samples per second
VOWELS = {"a": (730, 1090), "i": (270, 2290), "u": (300, 870)}  # two formants each, in Hz
WORDS = ["ai", "ia", "au", "ua"]  # the four "words": two vowels each, in order


def say(word: str, pitch: float = 120.0, duration: float = 0.3) -> torch.Tensor:
    """Synthesise a word: for each letter, a voice's harmonics, loudest near its formants."""
    if not word or set(word) - VOWELS.keys():
        raise ValueError(f"a word is made of the vowels {sorted(VOWELS)}, got {word!r}")
    n = int(duration * SAMPLE_RATE)
    t = torch.arange(n) / SAMPLE_RATE
    harmonics = pitch * torch.arange(1, int(2800 / pitch) + 1)  # the pitch and its multiples
    bounds = [n * k // len(word) for k in range(len(word) + 1)]
    wave = torch.zeros(n)
    for letter, start, stop in zip(word, bounds[:-1], bounds[1:], strict=True):
        f1, f2 = VOWELS[letter]
        loudness = torch.exp(-(((harmonics - f1) / 100) ** 2))
        loudness += 0.5 * torch.exp(-(((harmonics - f2) / 150) ** 2))
        phases = 2 * math.pi * harmonics[:, None] * t[start:stop]
        wave[start:stop] = (loudness[:, None] * phases.sin()).sum(dim=0)
    return wave / wave.abs().max()


def make_clips(
    per_word: int, generator: torch.Generator, noise: float = 0.3
) -> tuple[torch.Tensor, torch.Tensor]:
    """per_word noisy clips of each word, at random pitches and speeds, padded to 0.35 s."""
    waves, labels = [], []
    for label, word in enumerate(WORDS):
        for _ in range(per_word):
            pitch = 90 + 80 * torch.rand((), generator=generator).item()
            duration = 0.25 + 0.1 * torch.rand((), generator=generator).item()
            wave = F.pad(say(word, pitch, duration), (0, int(0.35 * SAMPLE_RATE)))
            wave = wave[: int(0.35 * SAMPLE_RATE)]
            waves.append(wave + noise * torch.randn(len(wave), generator=generator))
            labels.append(label)
    return torch.stack(waves), torch.tensor(labels)


def spectrogram(waves: torch.Tensor) -> torch.Tensor:
    """Log-magnitude spectrogram (batch, frequencies, frames), standardised per clip."""
    spec = torch.stft(
        waves, n_fft=128, hop_length=64, window=torch.hann_window(128), return_complex=True
    )
    spec = spec.abs().log1p()
    return (spec - spec.mean(dim=(1, 2), keepdim=True)) / spec.std(dim=(1, 2), keepdim=True)


# --8<-- [end:speech]

# --8<-- [start:ratings]
import torch


def make_ratings(
    seed: int, n_users: int = 200, n_items: int = 100, rank: int = 3, observed: float = 0.1
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hidden scores (n_users, n_items), and a random `observed` share of noisy 1-5 ratings:
    (user, item) pairs (n, 2) and their ratings (n,), in random order."""
    g = torch.Generator().manual_seed(seed)
    tastes = torch.randn(n_users, rank, generator=g)  # what each user likes
    traits = torch.randn(n_items, rank, generator=g)  # what each item offers
    quality = 0.5 * torch.randn(n_items, generator=g)  # some items are better for everyone
    hidden = 3 + quality + 0.7 * tastes @ traits.T
    noisy = (hidden + 0.5 * torch.randn(n_users, n_items, generator=g)).clamp(1, 5)
    users, items = (torch.rand(n_users, n_items, generator=g) < observed).nonzero(as_tuple=True)
    order = torch.randperm(len(users), generator=g)
    pairs = torch.stack([users, items], dim=1)[order]
    return hidden, pairs, noisy[users, items][order]


# --8<-- [end:ratings]

# --8<-- [start:factorisation]
import torch
from torch import nn


class MatrixFactorisation(nn.Module):
    """rating ≈ mean + user bias + item bias + (user embedding · item embedding)."""

    def __init__(self, n_users: int, n_items: int, rank: int = 3) -> None:
        super().__init__()
        self.users, self.items = nn.Embedding(n_users, rank), nn.Embedding(n_items, rank)
        self.user_bias, self.item_bias = nn.Embedding(n_users, 1), nn.Embedding(n_items, 1)
        self.mean = nn.Parameter(torch.tensor(3.0))
        for table in (self.users, self.items):
            nn.init.normal_(table.weight, std=0.1)
        for table in (self.user_bias, self.item_bias):
            nn.init.zeros_(table.weight)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:  # (n, 2): user and item ids
        user, item = pairs[:, 0], pairs[:, 1]
        match = (self.users(user) * self.items(item)).sum(dim=1)
        return self.mean + self.user_bias(user)[:, 0] + self.item_bias(item)[:, 0] + match


# --8<-- [end:factorisation]

# --8<-- [start:cartpole]
from collections.abc import Callable

import torch

Policy = Callable[[torch.Tensor], torch.Tensor]  # states (n, 4) -> pushes (n,): 0 left, 1 right


def step(state: torch.Tensor, push: torch.Tensor, dt: float = 0.02) -> torch.Tensor:
    """Cart-pole physics, one time step for a batch of states (x, x_dot, angle, angle_dot)."""
    x, x_dot, angle, angle_dot = state.unbind(dim=1)
    force = 10.0 * (2 * push - 1)  # newtons, to the left or the right
    cos, sin = angle.cos(), angle.sin()
    # cart 1 kg, pole 0.1 kg and 1 m long, gravity 9.8 m/s²
    temp = (force + 0.05 * angle_dot**2 * sin) / 1.1
    angle_acc = (9.8 * sin - cos * temp) / (0.5 * (4 / 3 - 0.1 * cos**2 / 1.1))
    x_acc = temp - 0.05 * angle_acc * cos / 1.1
    return torch.stack(
        [x + dt * x_dot, x_dot + dt * x_acc, angle + dt * angle_dot, angle_dot + dt * angle_acc],
        dim=1,
    )


def fallen(state: torch.Tensor) -> torch.Tensor:
    """The pole leans more than 12 degrees, or the cart left the 4.8 m track."""
    return (state[:, 0].abs() > 2.4) | (state[:, 2].abs() > 0.21)


def expert(state: torch.Tensor) -> torch.Tensor:
    """A hand-written controller: push towards the side the pole is falling to."""
    x, x_dot, angle, angle_dot = state.unbind(dim=1)
    return (angle + 0.5 * angle_dot + 0.05 * x + 0.1 * x_dot > 0).long()


def run(
    policy: Policy, episodes: int, seed: int, steps: int = 200, explore: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run episodes side by side from small random starts. Returns which episodes kept the
    pole up for all `steps`, and every (state, policy's push) seen while they were up. With
    `explore`, that share of pushes is random instead (the recorded push stays the policy's)."""
    g = torch.Generator().manual_seed(seed)
    state = (torch.rand(episodes, 4, generator=g) - 0.5) * 0.1
    up = torch.ones(episodes, dtype=torch.bool)
    states, pushes = [], []
    for _ in range(steps):
        push = policy(state)
        states.append(state[up])
        pushes.append(push[up])
        random = torch.rand(episodes, generator=g) < explore
        push = torch.where(random, torch.randint(2, (episodes,), generator=g), push)
        state = step(state, push)
        up &= ~fallen(state)
    return up, torch.cat(states), torch.cat(pushes)


# --8<-- [end:cartpole]
