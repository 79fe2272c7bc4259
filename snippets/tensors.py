"""Code embedded in docs/pytorch/tensors.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:device]
import torch


def pick_device() -> torch.device:
    """The accelerator PyTorch finds on this machine (CUDA, MPS, ...), else the CPU."""
    if torch.accelerator.is_available():
        return torch.accelerator.current_accelerator()
    return torch.device("cpu")


device = pick_device()
grid = torch.arange(6.0).reshape(2, 3)
grid_on_device = grid.to(device)  # a copy on the accelerator; the same tensor if device is the CPU
doubled = (grid_on_device * 2).cpu()  # compute where the data is, bring the result back
# --8<-- [end:device]

# --8<-- [start:photo]
import torch
import torch.nn.functional as F
from sklearn.datasets import load_sample_image

photo = torch.tensor(load_sample_image("china.jpg"))  # (height, width, channels), uint8
chw = photo.permute(2, 0, 1)  # PyTorch's convention: (channels, height, width)
batch = chw.unsqueeze(0).float() / 255  # (1, 3, 427, 640), values in [0, 1]
resized = F.interpolate(batch, size=(224, 224), mode="bilinear", antialias=True).clamp(0, 1)  # (1)!
hwc = resized[0].permute(1, 2, 0)  # back to (224, 224, 3): the (H, W, C) layout of matplotlib
# --8<-- [end:photo]
