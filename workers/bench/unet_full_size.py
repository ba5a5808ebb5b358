"""Full-size SDXL UNet speed on a CUDA GPU, from SDXL's published UNet config with random weights
(no download; speed does not depend on the weights): 1024x1024, 30 steps, CFG (batch 2), fp16."""

import time

import torch
from diffusers import UNet2DConditionModel

# stabilityai/stable-diffusion-xl-base-1.0, unet/config.json
SDXL_UNET_CONFIG = {
    "act_fn": "silu",
    "addition_embed_type": "text_time",
    "addition_embed_type_num_heads": 64,
    "addition_time_embed_dim": 256,
    "attention_head_dim": [5, 10, 20],
    "block_out_channels": [320, 640, 1280],
    "cross_attention_dim": 2048,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "in_channels": 4,
    "layers_per_block": 2,
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "norm_eps": 1e-05,
    "norm_num_groups": 32,
    "out_channels": 4,
    "projection_class_embeddings_input_dim": 2816,
    "sample_size": 128,
    "transformer_layers_per_block": [1, 2, 10],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "use_linear_projection": True,
}
STEPS = 30
SIDE = 1024


def _inputs(device):
    batch = 2  # classifier-free guidance: conditional and unconditional in one batch
    latent = SIDE // 8
    return {
        "sample": torch.randn(batch, 4, latent, latent, device=device, dtype=torch.float16),
        "encoder_hidden_states": torch.randn(batch, 77, 2048, device=device, dtype=torch.float16),
        "added_cond_kwargs": {
            "text_embeds": torch.randn(batch, 1280, device=device, dtype=torch.float16),
            "time_ids": torch.tensor([[SIDE, SIDE, 0, 0, SIDE, SIDE]] * batch, device=device, dtype=torch.float16),
        },
    }


def _measure(unet, inputs) -> dict:
    device = inputs["sample"].device
    with torch.inference_mode():
        for step in range(3):  # warm-up (and compilation, when compiled)
            unet(timestep=torch.tensor(999 - step, device=device), **inputs)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        for step in range(STEPS):
            unet(timestep=torch.tensor(999 - step * 33, device=device), **inputs)
        torch.cuda.synchronize()
        seconds = time.perf_counter() - started
    return {
        "it_per_s": STEPS / seconds,
        "seconds_for_30_steps": seconds,
        "peak_vram_gib": torch.cuda.max_memory_allocated() / 1024**3,
    }


def run() -> dict:
    if not torch.cuda.is_available():
        return {"skipped": "no CUDA device on this machine"}
    device = torch.device("cuda")
    unet = UNet2DConditionModel(**SDXL_UNET_CONFIG).to(device, torch.float16).eval()
    inputs = _inputs(device)
    results = {"gpu": torch.cuda.get_device_name(device), "size": f"{SIDE}x{SIDE}", "steps": STEPS, "cfg_batch": 2}
    results["eager_sdpa"] = _measure(unet, inputs)
    try:
        import xformers  # noqa: F401

        unet.enable_xformers_memory_efficient_attention()
        results["eager_xformers"] = _measure(unet, inputs)
        unet.disable_xformers_memory_efficient_attention()
    except ImportError:
        results["eager_xformers"] = {"skipped": "xformers not installed (requirements/gpu.txt)"}
    compiled = torch.compile(unet, mode="max-autotune-no-cudagraphs", fullgraph=True)
    results["compiled_sdpa"] = _measure(compiled, inputs)
    return results
