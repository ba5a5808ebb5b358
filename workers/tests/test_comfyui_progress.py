"""What the job's hook sees of a ComfyUI prompt: steps across chains, preview frames (pure, no server)."""

import io
import struct

from PIL import Image

from workers.engines.comfyui.progress import ComfyProgress, StepCounter, preview_frame_image


def frame(event: int, image_format: int, payload: bytes) -> bytes:
    return struct.pack(">II", event, image_format) + payload


def encoded(color, kind="JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format=kind)
    return buffer.getvalue()


def test_steps_run_end_to_end_across_the_chains_of_a_batch():
    counter = StepCounter(["sampler_0", "sampler_1"])
    seen = [counter.count(node=node, value=value, maximum=2) for node in ("sampler_0", "sampler_1") for value in (1, 2)]
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    # Another node's progress (a tiled VAE decode) is not a denoising step.
    assert counter.count(node="decode_0", value=1, maximum=8) is None and counter.step == 4


def test_a_template_s_unknown_samplers_are_counted_in_the_order_they_report():
    counter = StepCounter([])
    assert counter.count(node="13", value=3, maximum=5) == (3, 5)
    assert counter.count(node="20", value=1, maximum=5) == (6, 10)


def test_a_preview_frame_decodes_to_an_rgb_image_and_other_frames_are_ignored():
    jpeg, png = encoded((200, 10, 10)), encoded((10, 200, 10), "PNG")
    assert preview_frame_image(frame(1, 1, jpeg)) == jpeg and preview_frame_image(frame(1, 2, png)) == png
    assert preview_frame_image(frame(4, 1, jpeg)) is None  # preview with metadata: only for clients that ask
    assert preview_frame_image(b"\x00\x00") is None
    image = ComfyProgress(step=1, total=2, preview_bytes=png).preview()
    assert image.mode == "RGB" and image.size == (8, 8) and image.getpixel((4, 4)) == (10, 200, 10)
    assert ComfyProgress(step=1, total=2).preview() is None
    assert ComfyProgress(step=1, total=2, preview_bytes=b"not an image").preview() is None


def test_cancel_is_recorded_for_the_follower():
    progress = ComfyProgress(step=1, total=2)
    progress.cancel()
    assert progress.cancelled and progress.decoding is None
