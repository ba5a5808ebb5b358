"""The local approximate-motion engine on a real face photo and a speech-like track: what comes out
is a real video of the requested length whose mouth follows the voice, and a picture without a face
is refused with a message a person can act on."""

from pathlib import Path

import numpy as np
import pytest

from apps.catalog.video_request import FPS, VIDEO_ENGINE_LABELS, VIDEO_ENGINE_LOCAL, VideoRequest
from tests.support.video_inputs import (
    astronaut_png,
    noise_png,
    speech_wav,
    syllable_peaks,
    video_audio_seconds,
    video_frames,
    video_streams,
)
from workers.engines.errors import EngineError, GenerationCancelled
from workers.video.base import TalkingJob
from workers.video.local_motion.engine import LocalMotionEngine
from workers.video.local_motion.face import NO_FACE

SIZE = 256
# The astronaut at 256 x 256: her mouth corners are near (101, 69) and (122, 70); rows 0-7 are the
# backdrop and the top of her hair, above the face region that sways.
MOUTH = (slice(58, 94), slice(90, 134))
TOP = (slice(0, 8), slice(0, SIZE))


def run_engine(tmp_path: Path, *, seconds: float, still: bool, character=None, cancel_after: int | None = None):
    work = tmp_path / "work"
    work.mkdir()
    calls = []

    def cancel_requested() -> bool:
        calls.append(1)
        return cancel_after is not None and len(calls) > cancel_after

    job = TalkingJob(
        job_id="test-job", request=VideoRequest(prompt="hello", duration=seconds, size=SIZE, still=still),
        character=character or astronaut_png(tmp_path / "astronaut.png"),
        audio=speech_wav(tmp_path / "speech.wav", seconds=seconds), work_dir=work, cancel_requested=cancel_requested,
    )  # fmt: skip
    return LocalMotionEngine().run(job), work


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def test_the_video_has_one_picture_and_one_sound_stream_25_fps_and_the_requested_length(tmp_path):
    result, _ = run_engine(tmp_path, seconds=3.0, still=False)

    streams = video_streams(result.mp4)
    assert len(streams) == 2, streams
    assert streams[0].startswith("Video: h264") and f"{FPS} fps" in streams[0] and f"{SIZE}x{SIZE}" in streams[0]
    assert streams[1].startswith("Audio: aac")
    frames = video_frames(result.mp4, SIZE)
    assert abs(len(frames) / FPS - 3.0) <= 0.1
    assert abs(video_audio_seconds(result.mp4) - 3.0) <= 0.1
    webm = video_streams(result.webm)
    assert len(webm) == 2 and webm[0].startswith("Video: vp9") and webm[1].startswith("Audio: opus")

    # The head sways, but the image above the face region stays as it was.
    assert max(difference(frame[TOP], frames[0][TOP]) for frame in frames) < 2.0
    assert result.poster.size == (SIZE, SIZE)
    assert result.details["engine_label"] == str(VIDEO_ENGINE_LABELS[VIDEO_ENGINE_LOCAL])
    assert result.details["fps"] == FPS and result.details["face"]["box"]


def test_the_mouth_opens_on_the_loud_syllables_and_stays_closed_in_the_silence(tmp_path):
    result, _ = run_engine(tmp_path, seconds=3.0, still=True)
    frames = video_frames(result.mp4, SIZE)
    silent, also_silent = frames[5], frames[15]  # the track's first second is silence
    loud = frames[round(syllable_peaks(3.0)[0] * FPS)]

    assert difference(silent[MOUTH], also_silent[MOUTH]) < 2.0
    assert difference(loud[MOUTH], silent[MOUTH]) > 8.0
    assert difference(loud[TOP], silent[TOP]) < 2.0


def test_a_picture_without_a_face_is_refused_with_a_message_a_person_can_act_on(tmp_path):
    with pytest.raises(EngineError) as refused:
        run_engine(tmp_path, seconds=2.0, still=False, character=noise_png(tmp_path / "noise.png"))
    assert refused.value.message == NO_FACE == "No face found in the character image: use a front-facing portrait"


def test_a_cancel_stops_the_frames_and_leaves_no_video(tmp_path):
    with pytest.raises(GenerationCancelled):
        run_engine(tmp_path, seconds=4.0, still=False, cancel_after=3)
    assert sorted(path.name for path in (tmp_path / "work").iterdir()) == []
