"""Inputs for trying the video engines, made offline: a real face photo (scikit-image's
`data.astronaut()`, a public-domain NASA portrait shipped in its wheel; a dev dependency), a noise
image with no face, and a speech-like track (silence, then loud syllable-like bursts). The tests
(tests/support/video_inputs.py) and `manage.py bench` (workers/bench/video_local.py) use them."""

import wave
from pathlib import Path

import numpy as np
from PIL import Image

SPEECH_RATE = 48000
SYLLABLE_SECONDS, SYLLABLE_EVERY = 0.3, 0.5


def astronaut_png(path: Path) -> Path:
    from skimage import data

    Image.fromarray(data.astronaut()).save(path)
    return path


def noise_png(path: Path, size: int = 256) -> Path:
    Image.fromarray(np.random.default_rng(7).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)
    return path


def syllable_peaks(seconds: float, silence: float = 1.0) -> list[float]:
    """When each burst of `speech_wav` is loudest (its middle)."""
    starts = np.arange(silence, seconds - SYLLABLE_SECONDS, SYLLABLE_EVERY)
    return [float(start + SYLLABLE_SECONDS / 2) for start in starts]


def speech_wav(path: Path, *, seconds: float = 3.0, silence: float = 1.0) -> Path:
    """`silence` seconds of nothing, then 0.3 s voiced bursts every 0.5 s (a pitch and a formant-like
    partial under a rising and falling envelope): what a syllable looks like to an RMS meter."""
    t = np.arange(int(seconds * SPEECH_RATE)) / SPEECH_RATE
    signal = np.zeros_like(t)
    for number, peak in enumerate(syllable_peaks(seconds, silence)):
        start = peak - SYLLABLE_SECONDS / 2
        inside = (t >= start) & (t < start + SYLLABLE_SECONDS)
        envelope = np.sin(np.pi * (t[inside] - start) / SYLLABLE_SECONDS)
        pitch = 140 + 30 * (number % 4)
        signal[inside] = envelope * (
            0.6 * np.sin(2 * np.pi * pitch * t[inside]) + 0.25 * np.sin(2 * np.pi * 800 * t[inside])
        )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SPEECH_RATE)
        out.writeframes((signal * 20000).astype(np.int16).tobytes())
    return path
