"""SDXL + LoRA engine on diffusers. Imports torch: only worker code may import this package."""
