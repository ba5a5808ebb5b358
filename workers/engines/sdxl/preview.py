"""Cheap previews from the latents, without a VAE decode.

SDXL's 4 latent channels map to RGB almost linearly. The 4x3 factors and the bias below are
ComfyUI's fit for SDXL (comfy/latent_formats.py, class SDXL, `latent_rgb_factors` and
`latent_rgb_factors_bias`), the same numbers its live previews use.
"""

import torch
from PIL import Image

SDXL_LATENT_RGB_FACTORS = (
    (0.3651, 0.4232, 0.4341),
    (-0.2533, -0.0042, 0.1068),
    (0.1076, 0.1111, -0.0362),
    (-0.3165, -0.2492, -0.2188),
)
SDXL_LATENT_RGB_BIAS = (0.1084, -0.0175, -0.0011)


def latents_to_preview(latents: torch.Tensor, *, index: int = 0) -> Image.Image:
    """One image of the batch, at latent resolution (width/8 x height/8)."""
    latent = latents[index].detach().float().cpu()  # (4, h, w)
    factors = torch.tensor(SDXL_LATENT_RGB_FACTORS)  # (4, 3)
    bias = torch.tensor(SDXL_LATENT_RGB_BIAS)
    rgb = torch.einsum("chw,cr->hwr", latent, factors) + bias  # roughly in [-1, 1]
    pixels = ((rgb.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    return Image.fromarray(pixels, mode="RGB")
