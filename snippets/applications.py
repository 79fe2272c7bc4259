"""Code embedded in docs/deep-learning/applications.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

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
