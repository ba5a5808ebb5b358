#!/usr/bin/env python3
"""A stand-in for SadTalker's inference.py, taking the same arguments, for tests and benchmarks of
server.py without a GPU: it prints SadTalker's five progress bars (tqdm style) and writes a REAL mp4
(the still image at the size asked, the audio under it, H.264 + AAC) as
<result_dir>/<timestamp>.mp4, as inference.py does. Needs ffmpeg: imageio-ffmpeg's, or SADTALKER_TEST_FFMPEG.

Environment knobs:
  SADTALKER_TEST_SECONDS_PER_STEP  sleep per progress step (default 0; 10 steps per bar)
  SADTALKER_TEST_FAIL              print this message as an error and exit 1 after the first bar
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BARS = ("landmark Det:", "3DMM Extraction In Video:", "mel:", "audio2exp:", "Face Renderer:")
STEPS = 10


def ffmpeg() -> str:
    if os.environ.get("SADTALKER_TEST_FFMPEG"):
        return os.environ["SADTALKER_TEST_FFMPEG"]
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def bar(label: str, seconds_per_step: float) -> None:
    for step in range(STEPS + 1):
        percent = step * 100 // STEPS
        sys.stderr.write(f"\r{label} {percent:3d}%|{'#' * step}{' ' * (STEPS - step)}| {step}/{STEPS}")
        sys.stderr.flush()
        if step < STEPS and seconds_per_step:
            time.sleep(seconds_per_step)
    sys.stderr.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--driven_audio", required=True)
    parser.add_argument("--source_image", required=True)
    parser.add_argument("--result_dir", required=True)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--preprocess", default="crop")
    parser.add_argument("--pose_style", type=int, default=0)
    parser.add_argument("--expression_scale", type=float, default=1.0)
    parser.add_argument("--still", action="store_true")
    parser.add_argument("--enhancer", default=None)
    args = parser.parse_args()
    seconds_per_step = float(os.environ.get("SADTALKER_TEST_SECONDS_PER_STEP", "0"))

    bar(BARS[0], seconds_per_step)
    if os.environ.get("SADTALKER_TEST_FAIL"):
        print(f"RuntimeError: {os.environ['SADTALKER_TEST_FAIL']}", file=sys.stderr, flush=True)
        sys.exit(1)
    for label in BARS[1:]:
        bar(label, seconds_per_step)

    result_dir = Path(args.result_dir)
    result_dir.mkdir(parents=True, exist_ok=True)
    target = result_dir / f"{time.strftime('%Y_%m_%d_%H.%M.%S')}.mp4"
    side = args.size
    command = [
        ffmpeg(), "-nostdin", "-hide_banner", "-v", "error", "-y", "-loop", "1", "-framerate", "25",
        "-i", args.source_image, "-i", args.driven_audio,
        "-vf", f"scale={side}:{side}:force_original_aspect_ratio=decrease,pad={side}:{side}:(ow-iw)/2:(oh-ih)/2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(target),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"ffmpeg failed: {result.stderr.strip().splitlines()[-1:]}", file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"The generated video is named: {target}", flush=True)


if __name__ == "__main__":
    main()
