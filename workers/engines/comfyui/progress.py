"""What the job's hook receives from a ComfyUI prompt: steps counted across the chains, the latest
preview frame, and a cancel switch (workers/engines/base.py's Progress)."""

import io
import struct
from dataclasses import dataclass

from PIL import Image

# ComfyUI's binary websocket frames (its protocol.py): a 4-byte big-endian event type, then for
# PREVIEW_IMAGE a 4-byte image format and the encoded image (`--preview-method latent2rgb`).
PREVIEW_IMAGE = 1
PREVIEW_FORMATS = {1: "JPEG", 2: "PNG"}


def preview_frame_image(frame: bytes) -> bytes | None:
    """The encoded image of a preview frame, or None for any other binary frame."""
    if len(frame) < 8:
        return None
    event, image_format = struct.unpack(">II", frame[:8])
    if event != PREVIEW_IMAGE or image_format not in PREVIEW_FORMATS:
        return None
    return frame[8:]


@dataclass
class ComfyProgress:
    """One `progress` message as the hook sees it. The preview is decoded only when asked for (the
    hook wants one every few steps)."""

    step: int
    total: int
    preview_bytes: bytes | None = None
    cancelled: bool = False
    decoding: int | None = None  # never set: ComfyUI decodes inside the prompt, with no cancel point

    def cancel(self) -> None:
        self.cancelled = True

    def preview(self) -> Image.Image | None:
        if self.preview_bytes is None:
            return None
        try:
            with Image.open(io.BytesIO(self.preview_bytes)) as image:
                return image.convert("RGB")
        except OSError:  # a truncated or unknown frame: no preview this time, the job goes on
            return None


class StepCounter:
    """Steps of the whole job from the samplers' own counts: chain i's step k of n is step i*n + k of
    chains*n. With the samplers known in advance (the txt2img graph, a template's KSamplers) any
    other node's progress (a tiled VAE decode) is not a step; without, each node that reports is
    counted as a chain, in the order it reports."""

    def __init__(self, samplers: list[str]) -> None:
        self.samplers = list(samplers)
        self.fixed = bool(samplers)
        self.step = 0

    def count(self, *, node: str | None, value: int, maximum: int) -> tuple[int, int] | None:
        """(step, total) of the job, or None when the message is not a sampler's step."""
        if node not in self.samplers:
            if self.fixed:
                return None
            self.samplers.append(node)
        self.step = self.samplers.index(node) * maximum + value
        return self.step, len(self.samplers) * maximum
