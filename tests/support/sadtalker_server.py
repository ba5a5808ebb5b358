"""The tests' SadTalker service (seidra/local_sadtalker.py: the real ops/sadtalker/server.py with the
test command, shared with `make bench`), and what tests look at: the processes a job started, the
facts of a video file."""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from seidra.local_sadtalker import SadTalkerServer, sadtalker_server_running
from workers.video.samples import astronaut_png, speech_wav

__all__ = [
    "SadTalkerServer", "sadtalker_server_running", "astronaut_png", "speech_wav", "processes_mentioning",
    "video_probe", "VideoFacts",
]  # fmt: skip


def processes_mentioning(text: str) -> list[int]:
    """Pids of the live processes whose command line holds `text` (a job id names its directory)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command_line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in command_line and state != "Z":
            pids.append(int(entry.name))
    return pids


@dataclass(frozen=True)
class VideoFacts:
    duration: float
    video_codecs: tuple[str, ...]
    audio_codecs: tuple[str, ...]
    sizes: tuple[str, ...]  # "256x256"
    fps: tuple[str, ...]


def video_probe(path: Path) -> VideoFacts:
    """What ffmpeg says of a media file (no ffprobe in imageio-ffmpeg): its banner for the input."""
    from apps.core.audio import ffmpeg_exe

    banner = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", banner).groups()
    videos = re.findall(r"Video: (\w+).*?, (\d+x\d+).*?, ([\d.]+) fps", banner)
    return VideoFacts(
        duration=int(hours) * 3600 + int(minutes) * 60 + float(seconds),
        video_codecs=tuple(codec for codec, _, _ in videos),
        audio_codecs=tuple(re.findall(r"Audio: (\w+)", banner)),
        sizes=tuple(size for _, size, _ in videos),
        fps=tuple(fps for _, _, fps in videos),
    )
