"""A tiny SDXL-architecture pipeline with random weights, built without any download.

Same components and on-disk layout as stabilityai/stable-diffusion-xl-base-1.0 (UNet with
text-time conditioning, 4-level VAE with a factor-8 latent, CLIP-L and OpenCLIP-G-style text
encoders, two CLIP tokenizers), only with tiny widths, so tests and demos run the real
diffusers code paths in seconds on a CPU. Its images are noise: the weights are random.
"""

from pathlib import Path

import torch
from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from apps.catalog.layout import DEMO_MODEL_NAME as TINY_MODEL_NAME  # the catalog's name for it

TINY_LORA_NAMES = ("seidra-tiny-lora", "seidra-tiny-lora-b")
# Two different widths, as in SDXL (768 and 1280): diffusers' single-file loader tells the two
# encoders apart by width.
TEXT_HIDDEN = 32
TEXT_HIDDEN_2 = 48
# diffusers recognises an SDXL single-file checkpoint by a key of text-encoder-2 layer 9.
TEXT_ENCODER_2_LAYERS = 10


def _byte_level_vocab() -> dict[str, int]:
    """CLIP's byte-to-unicode table, each symbol alone and as a word end (`</w>`), plus the specials.

    With no merges, BPE keeps every symbol separate, so any text tokenizes."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    symbols, extra = [], 0
    for byte in range(256):
        if byte in printable:
            symbols.append(chr(byte))
        else:
            symbols.append(chr(256 + extra))
            extra += 1
    vocab: dict[str, int] = {}
    for symbol in symbols + [s + "</w>" for s in symbols] + ["<|startoftext|>", "<|endoftext|>"]:
        vocab[symbol] = len(vocab)
    return vocab


def _tokenizer(*, pad_token: str) -> CLIPTokenizer:
    return CLIPTokenizer(vocab=_byte_level_vocab(), merges=[], model_max_length=77, pad_token=pad_token)


def _text_config(*, hidden: int, layers: int) -> CLIPTextConfig:
    return CLIPTextConfig(
        vocab_size=1000,
        hidden_size=hidden,
        intermediate_size=37,
        num_hidden_layers=layers,
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=hidden,
        hidden_act="gelu",
        layer_norm_eps=1e-5,
        bos_token_id=512,
        eos_token_id=513,
        pad_token_id=1,
    )


def build_tiny_pipeline(*, seed: int = 0) -> StableDiffusionXLPipeline:
    """The pipeline in memory, with random weights drawn from `seed`."""
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        cross_attention_dim=TEXT_HIDDEN + TEXT_HIDDEN_2,  # both encoders' hidden states side by side
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        # 6 size/crop numbers embedded to 8 each, plus text_encoder_2's pooled projection.
        projection_class_embeddings_input_dim=6 * 8 + TEXT_HIDDEN_2,
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=(8, 16, 32, 32),  # four levels: latents are 1/8 of the image, as in SDXL
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=64,
        scaling_factor=0.13025,
        force_upcast=True,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="leading",
        num_train_timesteps=1000,
    )
    return StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=CLIPTextModel(_text_config(hidden=TEXT_HIDDEN, layers=2)),
        text_encoder_2=CLIPTextModelWithProjection(_text_config(hidden=TEXT_HIDDEN_2, layers=TEXT_ENCODER_2_LAYERS)),
        tokenizer=_tokenizer(pad_token="<|endoftext|>"),
        tokenizer_2=_tokenizer(pad_token="!"),
        unet=unet,
        scheduler=scheduler,
    )


def tiny_lora_state_dict(pipeline: StableDiffusionXLPipeline, *, seed: int, rank: int = 4) -> dict[str, torch.Tensor]:
    """A LoRA on the UNet's attention projections, in the diffusers/PEFT layout that
    `load_lora_weights` reads (the layout of LoRAs trained with diffusers' SDXL script)."""
    generator = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {}
    for module_name, module in pipeline.unet.named_modules():
        if not isinstance(module, torch.nn.Linear) or not module_name.endswith(("to_q", "to_k", "to_v", "to_out.0")):
            continue
        # Visible on the images, yet mild enough to keep the random network numerically stable
        # (a LoRA far larger than the base weights makes rounding noise grow into different pixels).
        down = torch.randn(rank, module.in_features, generator=generator) * 0.2
        up = torch.randn(module.out_features, rank, generator=generator) * 0.2
        state[f"unet.{module_name}.lora_A.weight"] = down
        state[f"unet.{module_name}.lora_B.weight"] = up
    return state


DEMO_NOTE = (
    "SEIDRA demo model: SDXL architecture with tiny widths and RANDOM weights, built locally by "
    "`manage.py make_tiny_model`. Its images are noise. Install real SDXL weights with `make models`.\n"
)


def save_tiny_model(models_dir: Path, *, seed: int = 0) -> dict[str, Path]:
    """Write the demo model in the layout of real models: a diffusers directory, the same weights
    as one single-file checkpoint, and two LoRAs. Returns what was written, by name."""
    from safetensors.torch import save_file

    from .single_file_export import export_single_file

    checkpoints, loras = models_dir / "checkpoints", models_dir / "loras"
    checkpoints.mkdir(parents=True, exist_ok=True)
    loras.mkdir(parents=True, exist_ok=True)
    pipeline = build_tiny_pipeline(seed=seed)
    directory = checkpoints / TINY_MODEL_NAME
    pipeline.save_pretrained(directory, safe_serialization=True)
    (directory / "SEIDRA_DEMO.txt").write_text(DEMO_NOTE)
    single_file = checkpoints / f"{TINY_MODEL_NAME}.safetensors"
    export_single_file(pipeline, single_file)
    written = {TINY_MODEL_NAME: directory, f"{TINY_MODEL_NAME}.safetensors": single_file}
    for offset, name in enumerate(TINY_LORA_NAMES, start=1):
        path = loras / f"{name}.safetensors"
        save_file(tiny_lora_state_dict(pipeline, seed=seed + offset), str(path))
        written[name] = path
    return written
