"""LocalMotionEngine: the character fitted to the frame, its face found, the speech read, then every
frame drawn and piped into the encoder (workers/video/encode.py), which writes the MP4 and the WebM.

It approximates mouth motion from the audio's loudness and recognised phones; it is not neural
lip-sync, and every result carries VIDEO_ENGINE_LABELS[VIDEO_ENGINE_LOCAL] to say so.
"""

import time
import zlib

import numpy as np
from PIL import Image

from apps.catalog.video_request import FPS, VIDEO_ENGINE_LABELS, VIDEO_ENGINE_LOCAL
from workers.engines.errors import EngineError, GenerationCancelled

from ..base import TalkingJob, TalkingResult
from ..encode import EncodeError, FrameEncoder
from .animate import FaceAnimator, blink_schedule
from .face import Face, face_find
from .speech import speech_track

CANCEL_CHECK_FRAMES = 10  # a cancel stops the run within 0.4 s of video
PROGRESS_EVERY_FRAMES = 5


def character_fit(image: Image.Image, face: Face, size: int) -> tuple[np.ndarray, Face]:
    """The largest square of the image centred on the face (as near as the edges allow), scaled to
    `size`: a portrait keeps all of itself, a wide picture is cropped around the face."""
    width, height = image.size
    side = min(width, height)
    x, y, box_width, box_height = face.box
    left = int(np.clip(x + box_width / 2 - side / 2, 0, width - side))
    top = int(np.clip(y + box_height / 2 - side / 2, 0, height - side))
    square = image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(square.convert("RGB")), face.scaled(size / side, (left, top))


class LocalMotionEngine:
    name = VIDEO_ENGINE_LOCAL

    def run(self, job: TalkingJob) -> TalkingResult:
        request = job.request
        timings: dict[str, float] = {}
        started = time.monotonic()

        # 1. The face, found on the image as given, then the frame around it.
        with Image.open(job.character) as opened:
            image = opened.convert("RGB")
        face = face_find(np.asarray(image))
        base, fitted = character_fit(image, face, request.size)
        timings["face_seconds"] = round(time.monotonic() - started, 3)

        # 2. The mouth per frame, from the prepared track.
        frames = request.frame_count
        mark = time.monotonic()
        speech = speech_track(job.audio, frames=frames, fps=FPS)
        blinks = blink_schedule(frames, FPS, seed=zlib.crc32(str(job.job_id).encode()))
        timings["speech_seconds"] = round(time.monotonic() - mark, 3)

        # 3. Every frame drawn and encoded as it comes.
        animator = FaceAnimator(base, fitted, still=request.still)
        mark = time.monotonic()
        poster = None
        try:
            with FrameEncoder(
                out_dir=job.work_dir, size=request.size, audio=job.audio, seconds=request.duration
            ) as encoder:
                for index in range(frames):
                    if index % CANCEL_CHECK_FRAMES == 0 and job.cancel_requested():
                        raise GenerationCancelled(index)
                    frame = animator.frame(
                        seconds=index / FPS, viseme=speech.visemes[index], opening=float(speech.opening[index]),
                        closure=float(blinks[index]),
                    )  # fmt: skip
                    if poster is None:
                        poster = Image.fromarray(frame)
                    encoder.write(frame)
                    if index % PROGRESS_EVERY_FRAMES == 0 or index == frames - 1:
                        job.progress("lipsync", (index + 1) / frames)
                job.progress("encoding", 0.0)
                encoded = encoder.finish()
        except EncodeError as error:
            raise EngineError(f"The video could not be encoded: {error}") from None
        job.progress("encoding", 1.0)
        timings["frames_seconds"] = round(time.monotonic() - mark, 3)

        details = {
            "engine": VIDEO_ENGINE_LOCAL,
            "engine_label": str(VIDEO_ENGINE_LABELS[VIDEO_ENGINE_LOCAL]),
            "face": fitted.to_json(),
            "fps": FPS,
            "frames": frames,
            "size": request.size,
            "phones": speech.phones,
            "timings": timings,
        }
        return TalkingResult(mp4=encoded.mp4, webm=encoded.webm, poster=poster, details=details)
