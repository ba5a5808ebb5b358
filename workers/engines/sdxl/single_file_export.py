"""Write an SDXL pipeline as one original-layout (`sd_xl_base_1.0.safetensors`-style) checkpoint.

The inverse of diffusers' single-file conversion (diffusers/loaders/single_file_utils.py), so
the tiny demo model also exists as the kind of file users download from model sites, and
`from_single_file` is exercised on it exactly as on theirs. Key names follow the SGM layout:
`model.diffusion_model.*` (UNet), `first_stage_model.*` (VAE), `conditioner.embedders.0.transformer.*`
(CLIP-L, Hugging Face layout) and `conditioner.embedders.1.model.*` (OpenCLIP-G layout).
"""

from pathlib import Path

import torch
from diffusers import StableDiffusionXLPipeline
from safetensors.torch import save_file

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
CLIP_L_PREFIX = "conditioner.embedders.0.transformer."
CLIP_G_PREFIX = "conditioner.embedders.1.model."

_UNET_FIXED = {
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "add_embedding.linear_1": "label_emb.0.0",
    "add_embedding.linear_2": "label_emb.0.2",
    "conv_in": "input_blocks.0.0",
    "conv_norm_out": "out.0",
    "conv_out": "out.2",
}
_RESNET_PARTS = {
    "norm1": "in_layers.0",
    "conv1": "in_layers.2",
    "norm2": "out_layers.0",
    "conv2": "out_layers.3",
    "time_emb_proj": "emb_layers.1",
    "conv_shortcut": "skip_connection",
}
_VAE_ATTENTION_PARTS = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def _rename_head(key: str, table: dict[str, str]) -> str:
    for new, old in table.items():
        if key == new or key.startswith(new + "."):
            return old + key[len(new) :]
    return key


def _unet_key(key: str, *, layers_per_block: int, up_blocks_with_attention: set[int]) -> str:
    parts = key.split(".")
    per_level = layers_per_block + 1
    if parts[0] in ("down_blocks", "up_blocks"):
        level, kind = int(parts[1]), parts[2]
        if kind == "downsamplers":  # down_blocks.i.downsamplers.0.conv.* -> input_blocks.n.0.op.*
            return f"input_blocks.{(level + 1) * per_level}.0.op." + ".".join(parts[5:])
        if kind == "upsamplers":  # up_blocks.i.upsamplers.0.conv.* -> output_blocks.n.{1|2}.conv.*
            position = 2 if level in up_blocks_with_attention else 1
            return f"output_blocks.{level * per_level + layers_per_block}.{position}." + ".".join(parts[4:])
        index = int(parts[3])
        block = 1 + level * per_level + index if parts[0] == "down_blocks" else level * per_level + index
        prefix = "input_blocks" if parts[0] == "down_blocks" else "output_blocks"
        rest = ".".join(parts[4:])
        if kind == "resnets":
            return f"{prefix}.{block}.0.{_rename_head(rest, _RESNET_PARTS)}"
        return f"{prefix}.{block}.1.{rest}"  # attentions: same names in both layouts
    if parts[0] == "mid_block":
        index, rest = int(parts[2]), ".".join(parts[3:])
        if parts[1] == "resnets":
            return f"middle_block.{2 * index}.{_rename_head(rest, _RESNET_PARTS)}"
        return f"middle_block.1.{rest}"
    return _rename_head(key, _UNET_FIXED)


def unet_to_original(pipeline: StableDiffusionXLPipeline) -> dict[str, torch.Tensor]:
    config = pipeline.unet.config
    with_attention = {i for i, kind in enumerate(config.up_block_types) if "CrossAttn" in kind}
    return {
        UNET_PREFIX + _unet_key(key, layers_per_block=config.layers_per_block, up_blocks_with_attention=with_attention):
        value
        for key, value in pipeline.unet.state_dict().items()
    }  # fmt: skip


def _vae_key(key: str, *, levels: int) -> str:
    parts = key.split(".")
    if parts[1] in ("down_blocks", "up_blocks"):
        level = int(parts[2]) if parts[1] == "down_blocks" else levels - 1 - int(parts[2])
        side = "down" if parts[1] == "down_blocks" else "up"
        if parts[3] == "resnets":
            rest = ".".join(parts[5:]).replace("conv_shortcut", "nin_shortcut")
            return f"{parts[0]}.{side}.{level}.block.{parts[4]}.{rest}"
        sampler = "downsample" if side == "down" else "upsample"
        return f"{parts[0]}.{side}.{level}.{sampler}." + ".".join(parts[5:])
    if parts[1] == "mid_block":
        if parts[2] == "resnets":
            rest = ".".join(parts[4:]).replace("conv_shortcut", "nin_shortcut")
            return f"{parts[0]}.mid.block_{int(parts[3]) + 1}.{rest}"
        return f"{parts[0]}.mid.attn_1.{_rename_head('.'.join(parts[4:]), _VAE_ATTENTION_PARTS)}"
    return key.replace("conv_norm_out", "norm_out")


def vae_to_original(pipeline: StableDiffusionXLPipeline) -> dict[str, torch.Tensor]:
    levels = len(pipeline.vae.config.block_out_channels)
    converted = {}
    for key, value in pipeline.vae.state_dict().items():
        original = _vae_key(key, levels=levels)
        # The original VAE attention uses 1x1 convolutions where diffusers uses linear layers.
        if ".mid.attn_1." in original and original.endswith(".weight") and value.ndim == 2:
            value = value[:, :, None, None]
        converted[VAE_PREFIX + original] = value
    return converted


def _text_model_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """State dict with every transformer key under `text_model.` (transformers 5 drops that prefix
    for CLIPTextModel but keeps it for CLIPTextModelWithProjection; the original layout has it)."""
    return {
        key if key.startswith(("text_model.", "text_projection.")) else f"text_model.{key}": value
        for key, value in model.state_dict().items()
    }


def clip_l_to_original(pipeline: StableDiffusionXLPipeline) -> dict[str, torch.Tensor]:
    return {CLIP_L_PREFIX + key: value for key, value in _text_model_state(pipeline.text_encoder).items()}


def clip_g_to_original(pipeline: StableDiffusionXLPipeline) -> dict[str, torch.Tensor]:
    state = _text_model_state(pipeline.text_encoder_2)
    converted = {
        "positional_embedding": state["text_model.embeddings.position_embedding.weight"],
        "token_embedding.weight": state["text_model.embeddings.token_embedding.weight"],
        "ln_final.weight": state["text_model.final_layer_norm.weight"],
        "ln_final.bias": state["text_model.final_layer_norm.bias"],
        "text_projection": state["text_projection.weight"].T.contiguous(),
    }
    for layer in range(pipeline.text_encoder_2.config.num_hidden_layers):
        source, target = f"text_model.encoder.layers.{layer}.", f"transformer.resblocks.{layer}."
        for kind in ("weight", "bias"):
            # OpenCLIP keeps q, k and v in one fused input projection.
            converted[target + f"attn.in_proj_{kind}"] = torch.cat(
                [state[source + f"self_attn.{name}_proj.{kind}"] for name in ("q", "k", "v")]
            )
            converted[target + f"attn.out_proj.{kind}"] = state[source + f"self_attn.out_proj.{kind}"]
            converted[target + f"ln_1.{kind}"] = state[source + f"layer_norm1.{kind}"]
            converted[target + f"ln_2.{kind}"] = state[source + f"layer_norm2.{kind}"]
            converted[target + f"mlp.c_fc.{kind}"] = state[source + f"mlp.fc1.{kind}"]
            converted[target + f"mlp.c_proj.{kind}"] = state[source + f"mlp.fc2.{kind}"]
    return {CLIP_G_PREFIX + key: value for key, value in converted.items()}


def export_single_file(pipeline: StableDiffusionXLPipeline, path: Path) -> None:
    checkpoint = {
        **unet_to_original(pipeline),
        **vae_to_original(pipeline),
        **clip_l_to_original(pipeline),
        **clip_g_to_original(pipeline),
    }
    save_file({key: value.contiguous() for key, value in checkpoint.items()}, str(path))
