"""Code embedded in docs/pytorch/making-it-fast.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:tf32]
import torch


def round_to_tf32(x: torch.Tensor) -> torch.Tensor:
    """float32 values rounded to TF32's 10 mantissa bits (of float32's 23), as a TF32 matmul
    rounds its inputs; the result is still stored as float32."""
    if x.dtype != torch.float32:
        raise TypeError(f"round_to_tf32 takes a float32 tensor, not {x.dtype}")
    bits = x.contiguous().view(torch.int32)
    # Add half of the 13 dropped bits' weight, then clear them: round to nearest (ties
    # away from zero; hardware rounds ties to even, which changes nothing measured here).
    return ((bits + 0x1000) & -0x2000).view(torch.float32)


def relative_error(result: torch.Tensor, exact: torch.Tensor) -> float:
    return ((result.double() - exact).norm() / exact.norm()).item()


# --8<-- [end:tf32]
