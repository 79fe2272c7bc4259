"""Code embedded in docs/deep-learning/applications.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:box_iou]
import torch


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Intersection over union of boxes (..., 4) given as (left, top, right, bottom)."""
    top_left = torch.maximum(a[..., :2], b[..., :2])
    bottom_right = torch.minimum(a[..., 2:], b[..., 2:])
    overlap = (bottom_right - top_left).clamp(min=0).prod(dim=-1)  # 0 when they do not meet
    area_a = (a[..., 2:] - a[..., :2]).prod(dim=-1)
    area_b = (b[..., 2:] - b[..., :2]).prod(dim=-1)
    return overlap / (area_a + area_b - overlap)  # two boxes of zero area: 0 / 0, nan


# --8<-- [end:box_iou]
