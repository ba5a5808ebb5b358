"""A random-weights SDXL checkpoint that a real ComfyUI server accepts, and a kohya-format LoRA for it.

Test equipment for the ComfyUI engine (the project's tiny demo model is refused by ComfyUI's model
detection: "Could not detect model type"). ComfyUI recognises SDXL by the UNet's shape
(`model_channels` 320, transformer depths 0/2/10 per level, context 2048, adm 2816, linear
projections) and builds the text encoders and the VAE from fixed configs, so those must be full
size. Only the UNet is narrowed: its three levels are all 320 wide instead of 320/640/1280, which
ComfyUI's detection does not check. About 2.4 GB in fp16. Images are noise: the weights are random.

Written through the project's single-file exporter, in the layout of `sd_xl_base_1.0.safetensors`;
the tokenizers are tiny_model's byte-level ones, so nothing is downloaded.
"""

from collections.abc import Callable
from pathlib import Path

import torch
from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from .single_file_export import UNET_PREFIX, export_single_file, unet_to_original
from .tiny_model import _tokenizer

# Bump when the weights or layout change: the test fixtures cache the files under this version.
BUILDER_VERSION = "1"
# `seidra-tiny*`: random weights, so the catalog gives it the demo model's small bounds (64x64 tests).
CHECKPOINT_FILE = "seidra-tiny-comfyui-sdxl.safetensors"
LORA_FILE = "seidra-tiny-comfyui-lora.safetensors"
CLIP_VOCAB = 49408  # ComfyUI builds both text encoders with CLIP's vocabulary
LORA_RANK = 8
# Attention projections the LoRA adapts, as kohya's SDXL trainer does.
LORA_TARGETS = ("to_q", "to_k", "to_v", "to_out.0")

Report = Callable[[str], None]


def _clip_config(*, hidden: int, intermediate: int, layers: int, heads: int, act: str) -> CLIPTextConfig:
    return CLIPTextConfig(
        vocab_size=CLIP_VOCAB,
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        max_position_embeddings=77,
        projection_dim=hidden,
        hidden_act=act,
        layer_norm_eps=1e-5,
    )


def _half(module: torch.nn.Module) -> torch.nn.Module:
    """fp16 at once, so fp32 copies of the big encoders never pile up in memory."""
    return module.to(torch.float16).eval()


def _unet() -> UNet2DConditionModel:
    return UNet2DConditionModel(
        sample_size=128,
        in_channels=4,
        out_channels=4,
        block_out_channels=(320, 320, 320),  # SDXL: 320, 640, 1280
        layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2, 10),
        attention_head_dim=(5, 5, 5),  # heads of 64 channels, as ComfyUI runs SDXL
        use_linear_projection=True,
        cross_attention_dim=2048,
        addition_embed_type="text_time",
        addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816,
    )


def _vae() -> AutoencoderKL:
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=2,
        latent_channels=4,
        norm_num_groups=32,
        sample_size=1024,
        scaling_factor=0.13025,
        force_upcast=True,
    )


def build_pipeline(*, seed: int = 0, report: Report = print) -> StableDiffusionXLPipeline:
    """The pipeline in memory, fp16, random weights drawn from `seed`."""
    torch.manual_seed(seed)
    report("Building the UNet (SDXL depths, 320 wide)...")
    unet = _half(_unet())
    report("Building the VAE (full SDXL size)...")
    vae = _half(_vae())
    report("Building CLIP-L (768 x 12 layers)...")
    clip_l = _half(CLIPTextModel(_clip_config(hidden=768, intermediate=3072, layers=12, heads=12, act="quick_gelu")))
    report("Building CLIP-G (1280 x 32 layers, with projection)...")
    clip_g = _half(
        CLIPTextModelWithProjection(_clip_config(hidden=1280, intermediate=5120, layers=32, heads=20, act="gelu"))
    )
    return StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=clip_l,
        text_encoder_2=clip_g,
        tokenizer=_tokenizer(pad_token="<|endoftext|>"),
        tokenizer_2=_tokenizer(pad_token="!"),
        unet=unet,
        scheduler=EulerDiscreteScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012),
    )


def kohya_lora_state_dict(pipeline: StableDiffusionXLPipeline, *, seed: int) -> dict[str, torch.Tensor]:
    """A LoRA on every UNet attention projection, with kohya's key names (`lora_unet_` + the
    original-layout module path with `_` for `.`, then `.lora_down.weight`, `.lora_up.weight`,
    `.alpha`): the format ComfyUI reads. Strong enough that the same seed gives other pixels."""
    generator = torch.Generator().manual_seed(seed)
    original = unet_to_original(pipeline)
    state: dict[str, torch.Tensor] = {}
    for key, weight in original.items():
        module = key[len(UNET_PREFIX) : -len(".weight")] if key.endswith(".weight") else ""
        if not module.endswith(tuple(f"attn{n}.{target}" for n in (1, 2) for target in LORA_TARGETS)):
            continue
        out_features, in_features = weight.shape
        name = "lora_unet_" + module.replace(".", "_")
        # With alpha == rank the update is up @ down, whose entries then have about the base
        # weight's spread: a clear change that keeps the random network numerically sane.
        scale = (float(weight.float().std()) / LORA_RANK**0.5) ** 0.5
        state[f"{name}.lora_down.weight"] = (torch.randn(LORA_RANK, in_features, generator=generator) * scale).half()
        state[f"{name}.lora_up.weight"] = (torch.randn(out_features, LORA_RANK, generator=generator) * scale).half()
        state[f"{name}.alpha"] = torch.tensor(float(LORA_RANK), dtype=torch.float16)
    return state


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write beside `path`, then rename: a reader (another test session) never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    write(partial)
    partial.replace(path)


def save_comfyui_test_model(directory: Path, *, seed: int = 0, report: Report = print) -> dict[str, Path]:
    """Write the checkpoint and the LoRA into `directory`; returns {"checkpoint": path, "lora": path}."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    pipeline = build_pipeline(seed=seed, report=report)
    checkpoint, lora = directory / CHECKPOINT_FILE, directory / LORA_FILE
    report(f"Writing {checkpoint} (about 2.4 GB)...")
    write_atomically(checkpoint, lambda path: export_single_file(pipeline, path))
    report(f"Writing {lora}...")
    state = kohya_lora_state_dict(pipeline, seed=seed + 1)
    write_atomically(lora, lambda path: save_file(state, str(path)))
    return {"checkpoint": checkpoint, "lora": lora}
