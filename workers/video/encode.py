"""The two outputs of every video job, made by ONE ffmpeg run: an MP4 (H.264 + AAC, `+faststart` so
a browser starts playing before the end arrives) and a WebM (VP9 + Opus), FPS frames a second, the
requested duration exactly. The codec arguments are written here only.

Two entries: `FrameEncoder` takes raw RGB frames on a pipe (the local engine renders them one by
one, so nothing is decoded twice), `video_reencode` takes an engine's video file (SadTalker's) and
puts the prepared track under it.
"""

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from apps.catalog.video_request import FPS
from apps.core.audio import ffmpeg_exe

MP4_ARGS = [
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-profile:v", "high",
    "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart",
]  # fmt: skip
WEBM_ARGS = [
    "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-b:v", "0", "-crf", "35",
    "-pix_fmt", "yuv420p", "-c:a", "libopus", "-b:a", "96k",
]  # fmt: skip


class EncodeError(Exception):
    """ffmpeg failed; the message is its last line of error output."""


@dataclass
class EncodedVideo:
    mp4: Path
    webm: Path


def _outputs(
    out_dir: Path, seconds: float, video: tuple[str, str] = ("0:v:0", "0:v:0")
) -> tuple[list[str], EncodedVideo]:
    """The output half of the command: `video` names the video stream each file takes, input 1 is the audio."""
    encoded = EncodedVideo(mp4=out_dir / "video.mp4", webm=out_dir / "video.webm")
    duration = ["-t", f"{seconds:.3f}", "-r", str(FPS)]
    args = ["-map", video[0], "-map", "1:a:0", *MP4_ARGS, *duration, str(encoded.mp4)]
    args += ["-map", video[1], "-map", "1:a:0", *WEBM_ARGS, *duration, str(encoded.webm)]
    return args, encoded


def _failure(log_path: Path, returncode: int) -> EncodeError:
    lines = log_path.read_text(errors="replace").strip().splitlines()
    return EncodeError(lines[-1] if lines else f"ffmpeg exited with {returncode}")


class FrameEncoder:
    """Feed `write(frame)` RGB uint8 frames of `size` x `size`, then `finish()` for the two files.
    `abort()` stops ffmpeg at once and removes its files (cancel); a `with` block aborts when left by an exception."""

    def __init__(self, *, out_dir: Path, size: int, audio: Path, seconds: float) -> None:
        self.size = size
        args, self.encoded = _outputs(out_dir, seconds)
        self.log = tempfile.NamedTemporaryFile(dir=out_dir, prefix="ffmpeg-", suffix=".log", delete=False)
        command = [
            ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size}x{size}", "-r", str(FPS), "-i", "pipe:0",
            "-i", str(audio), *args,
        ]  # fmt: skip
        # stderr to a file: a pipe nobody reads while frames are written could fill and block ffmpeg.
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.log)

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.size, self.size, 3) or frame.dtype != np.uint8:
            raise ValueError(
                f"frame of shape {frame.shape} {frame.dtype}, expected ({self.size}, {self.size}, 3) uint8"
            )
        try:
            self.process.stdin.write(frame.tobytes())
        except BrokenPipeError:
            raise self._finish_failed() from None

    def finish(self) -> EncodedVideo:
        self.process.stdin.close()
        if self.process.wait() != 0:
            raise self._finish_failed()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)
        return self.encoded

    def _finish_failed(self) -> EncodeError:
        self.process.kill()
        self.process.wait()
        self.log.close()
        return _failure(Path(self.log.name), self.process.returncode)

    def abort(self) -> None:
        """Stop ffmpeg and remove what it had written: a cancelled video leaves no half file."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()
        for path in (self.encoded.mp4, self.encoded.webm, Path(self.log.name)):
            path.unlink(missing_ok=True)

    def __enter__(self) -> "FrameEncoder":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is not None:
            self.abort()


def video_reencode(
    *, source: Path, audio: Path, seconds: float, size: int, out_dir: Path,
    progress: Callable[[float], None] | None = None, cancel_requested: Callable[[], bool] = lambda: False,
) -> EncodedVideo:  # fmt: skip
    """Re-encode an engine's video to the two outputs, `size` square (scaled to fit, padded black),
    with `audio` under it; a video shorter than `seconds` holds its last frame. `progress(fraction)`
    follows ffmpeg's own report; a cancel kills ffmpeg and raises EncodeError("cancelled")."""
    fit = (
        f"scale={size}:{size}:force_original_aspect_ratio=decrease,pad={size}:{size}:(ow-iw)/2:(oh-ih)/2,"
        f"fps={FPS},tpad=stop_mode=clone:stop_duration={seconds:.3f}"
    )
    args, encoded = _outputs(out_dir, seconds, video=("[a]", "[b]"))
    log_path = out_dir / "ffmpeg-reencode.log"
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-y", "-progress", "pipe:1",
        "-i", str(source), "-i", str(audio), "-filter_complex", f"[0:v:0]{fit},split=2[a][b]", *args,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        for line in process.stdout:
            if cancel_requested():
                process.kill()
                process.wait()
                raise EncodeError("cancelled")
            key, _, value = line.strip().partition("=")
            if progress is not None and key == "out_time_us" and value.isdigit():
                progress(min(1.0, int(value) / 1e6 / seconds))
        returncode = process.wait()
    if returncode != 0:
        raise _failure(log_path, returncode)
    return encoded
