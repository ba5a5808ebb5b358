"""From the audio track to a mouth per video frame: a viseme (the shape) and an opening (0..1).

The shape comes from pocketsphinx's phone recogniser (the en-us acoustic model and phone language
model inside its wheel): each phone maps to one of a few visemes. The opening comes from the track's
loudness, an RMS per video frame (40 ms at 25 fps), so the mouth moves with the voice even where the
phones are wrong (another language, singing). Both are approximations: no neural lip-sync here.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from apps.core.audio import ANALYSIS_RATE, audio_decode

CLOSED, ROUND, WIDE, OPEN, NEUTRAL, REST = "closed", "round", "wide", "open", "neutral", "rest"
# CMU phones (pocketsphinx en-us) to visemes; any other phone is NEUTRAL, silence and noise REST.
PHONE_VISEMES = {
    **dict.fromkeys(("M", "B", "P"), CLOSED),
    **dict.fromkeys(("OW", "UW", "UH", "W", "OY", "AO"), ROUND),
    **dict.fromkeys(("IY", "IH", "EH", "EY", "Y"), WIDE),
    **dict.fromkeys(("AA", "AE", "AH", "AY", "AW"), OPEN),
    **dict.fromkeys(("SIL", "+SPN+", "+NSN+", "+BREATH+", "+COUGH+", "+UM+"), REST),
}
PHONE_FRAMES_PER_SECOND = 100  # pocketsphinx's frame rate

# Loudness to opening: the quietest part of the track is silence (below NOISE_FLOOR_DB under its
# loud part the mouth stays closed), its loud part (95th percentile) opens the mouth fully.
NOISE_FLOOR_DB = 30.0
QUIET_RMS = 100.0  # int16 RMS under which a frame is silent whatever the track's level
ATTACK, RELEASE = 0.7, 0.35  # per-frame smoothing: a mouth opens fast and closes a little slower


@dataclass
class SpeechTrack:
    visemes: list[str]  # one per video frame
    opening: np.ndarray  # float 0..1, one per video frame
    phones: int  # how many phones were recognised (a fact for the job's details)


def _phones(samples: np.ndarray) -> list[tuple[str, float, float]]:
    """(phone, start s, end s) from pocketsphinx's all-phone decoder."""
    from pocketsphinx import Decoder, get_model_path

    model = get_model_path()
    decoder = Decoder(
        hmm=os.path.join(model, "en-us", "en-us"),
        allphone=os.path.join(model, "en-us", "en-us-phone.lm.bin"),
        lw=2.0, pip=0.3, beam=1e-10, pbeam=1e-10, samprate=ANALYSIS_RATE, loglevel="FATAL",
    )  # fmt: skip
    decoder.start_utt()
    decoder.process_raw(samples.tobytes(), full_utt=True)
    decoder.end_utt()
    return [
        (segment.word, segment.start_frame / PHONE_FRAMES_PER_SECOND, (segment.end_frame + 1) / PHONE_FRAMES_PER_SECOND)
        for segment in decoder.seg()
    ]


def _visemes(phones: list[tuple[str, float, float]], frames: int, fps: int) -> list[str]:
    visemes = [REST] * frames
    for phone, start, end in phones:
        first, last = int(start * fps), min(frames, int(np.ceil(end * fps)))
        for index in range(max(0, first), last):
            visemes[index] = PHONE_VISEMES.get(phone, NEUTRAL)
    return visemes


def frame_rms(samples: np.ndarray, frames: int, fps: int) -> np.ndarray:
    """The RMS of each video frame's slice of the track (int16 scale); zero past the track's end."""
    per_frame = ANALYSIS_RATE // fps
    padded = np.zeros(frames * per_frame, dtype=np.float64)
    used = min(samples.size, padded.size)
    padded[:used] = samples[:used]
    return np.sqrt(np.mean(padded.reshape(frames, per_frame) ** 2, axis=1))


def _opening(rms: np.ndarray) -> np.ndarray:
    loud = max(float(np.percentile(rms, 95)), QUIET_RMS)
    with np.errstate(divide="ignore"):
        below_loud_db = 20 * np.log10(np.maximum(rms, 1e-9) / loud)
    target = np.clip(1 + below_loud_db / NOISE_FLOOR_DB, 0.0, 1.0)
    target[rms < QUIET_RMS] = 0.0
    smoothed = np.empty_like(target)
    level = 0.0
    for index, value in enumerate(target):
        level += (ATTACK if value > level else RELEASE) * (value - level)
        smoothed[index] = level
    return smoothed


def speech_track(wav: Path, *, frames: int, fps: int) -> SpeechTrack:
    samples = audio_decode(wav, audio_format="wav", rate=ANALYSIS_RATE)
    phones = _phones(samples)
    visemes = _visemes(phones, frames, fps)
    opening = _opening(frame_rms(samples, frames, fps))
    # Lips pressed on M/B/P; a silent frame is at rest whatever the recogniser said, and a loud one
    # it took for noise (a shout, a hum) speaks with the neutral shape.
    for index, viseme in enumerate(visemes):
        if viseme == CLOSED:
            opening[index] *= 0.15
        elif opening[index] < 0.05:
            visemes[index] = REST
        elif viseme == REST:
            visemes[index] = NEUTRAL
    speaking = sum(1 for phone, _, _ in phones if PHONE_VISEMES.get(phone) != REST)
    return SpeechTrack(visemes=visemes, opening=opening, phones=speaking)
