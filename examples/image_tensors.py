# %% [markdown]
# # An image as a tensor
#
# The [Tensors](../../pytorch/tensors/) chapter says a colour image is a rank-3 tensor.
# This program takes a real photo that scikit-learn ships, looks at it as a
# `(height, width, channels)` tensor, splits its channels, converts it to PyTorch's
# `(channels, height, width)` layout, resizes it to 224 × 224, and stacks two photos into a
# batch `(N, C, H, W)`, the shape every image model takes as input.
#
# Run it as a notebook, or as a plain script with `python image_tensors.py`.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from sklearn.datasets import load_sample_image

photo = torch.tensor(load_sample_image("china.jpg"))
print(f"shape {tuple(photo.shape)}, dtype {photo.dtype}, values {photo.min()}..{photo.max()}")

# %% [markdown]
# The shape reads `(height, width, channels)`: 427 rows of 640 pixels, each pixel three
# bytes (red, green, blue). matplotlib draws this layout directly.

# %% alt="The sample photo, a temple under a blue sky, drawn from its (427, 640, 3) tensor"
fig, ax = plt.subplots(figsize=(5, 3.4))
ax.imshow(photo)
ax.set_title(f"photo: shape {tuple(photo.shape)}")
ax.axis("off")
plt.show()

# %% [markdown]
# ## Its three channels
#
# Indexing the last dimension picks one channel: a `(427, 640)` matrix of brightness values.
# The sky is bright in blue and dark in red; the roof tiles the other way round.

# %% alt="The red, green and blue channels side by side, each a 427 by 640 matrix of brightness"
fig, axes = plt.subplots(1, 3, figsize=(9, 2.4))
for channel, (ax, name) in enumerate(zip(axes, ["Reds", "Greens", "Blues"], strict=True)):
    ax.imshow(photo[:, :, channel], cmap=name)
    ax.set_title(f"photo[:, :, {channel}]  mean {photo[:, :, channel].float().mean():.0f}")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Channels first, then resize
#
# PyTorch's layers expect `(channels, height, width)`, with a batch dimension in front.
# `permute` reorders the dimensions without copying a pixel, and
# `torch.nn.functional.interpolate` resizes the spatial dimensions, which must be the last two.

# %%
chw = photo.permute(2, 0, 1)
batch = chw.unsqueeze(0).float() / 255
# Bilinear interpolation can overshoot [0, 1] by a hair at sharp edges: clamp it back.
resized = F.interpolate(batch, size=(224, 224), mode="bilinear", antialias=True).clamp(0, 1)
print(
    "channels first:",
    tuple(chw.shape),
    "shares memory with photo:",
    chw.data_ptr() == photo.data_ptr(),
)
print("as a batch of one:", tuple(batch.shape))
print("resized:", tuple(resized.shape))

# %% alt="The original 427 by 640 photo beside the same photo resized to 224 by 224"
fig, axes = plt.subplots(1, 2, figsize=(7, 3))
axes[0].imshow(photo)
axes[0].set_title("original 427 × 640")
axes[1].imshow(resized[0].permute(1, 2, 0))  # back to (H, W, C) for matplotlib
axes[1].set_title("resized 224 × 224")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# The resize squeezes the wide photo into a square, as many image models' fixed input size
# requires. (Cropping to a square first would keep the proportions.)
#
# ## A batch of images
#
# Models process many images at once. `torch.stack` joins same-shaped images along a new
# first dimension, giving the `(N, C, H, W)` batch.


# %%
def to_model_input(image: torch.Tensor, size: int = 224) -> torch.Tensor:
    """A (H, W, 3) uint8 image as a (3, size, size) float tensor in [0, 1]."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != torch.uint8:
        raise ValueError(
            f"expected a (H, W, 3) uint8 image, got {tuple(image.shape)} {image.dtype}"
        )
    chw = image.permute(2, 0, 1).unsqueeze(0).float() / 255
    resized = F.interpolate(chw, size=(size, size), mode="bilinear", antialias=True)
    return resized[0].clamp(0, 1)


names = ["china.jpg", "flower.jpg"]
images = torch.stack([to_model_input(torch.tensor(load_sample_image(name))) for name in names])
print("batch:", tuple(images.shape), images.dtype)
print("per-image mean of each channel:\n", images.mean(dim=(2, 3)))

# %% alt="The two sample photos, a temple and a flower, as one (2, 3, 224, 224) batch"
fig, axes = plt.subplots(1, len(names), figsize=(6, 3))
for ax, image, name in zip(axes, images, names, strict=True):
    ax.imshow(image.permute(1, 2, 0))
    ax.set_title(f"{name}: {tuple(image.shape)}")
    ax.axis("off")
fig.suptitle(f"images: {tuple(images.shape)}")
plt.show()

# %% [markdown]
# Everything a vision model does starts from a tensor like `images`: the first
# convolution layer reads 3 input channels, and the batch dimension lets one call process
# every image.
