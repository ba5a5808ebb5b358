"""The NSFW detector a worker runs on each generated image before storing it.

Pluggable by SEIDRA_NSFW_DETECTOR: "nudenet" (NudeNet's ONNX model, shipped in its wheel: offline),
"none" (images stored unscored), or "auto" (nudenet when its package is importable, else none).
The detector is loaded once per worker process and stays resident, like the pipeline; a wrong
setting stops the worker at start with one line saying what to change.

The score is the highest confidence among the labels of exposed intimate parts (EXPOSED_LABELS);
every label NudeNet found is kept, with its best score, so the desk can filter on any of them.
"""

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from PIL import Image

from apps.gallery.services import NsfwVerdict

logger = logging.getLogger(__name__)

# NudeNet's labels that make an image NSFW. Covered parts, faces, feet, belly, armpits and an exposed
# male chest are found too (and stored as labels) but do not raise the score.
EXPOSED_LABELS = frozenset(
    {
        "FEMALE_BREAST_EXPOSED",
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)
DETECTORS = ("auto", "nudenet", "none")


class DetectorSettingError(Exception):
    """SEIDRA_NSFW_DETECTOR cannot be honoured; the message is the one line the worker prints."""


def verdict_from_detections(detections: list[dict]) -> NsfwVerdict:
    """NudeNet's [{"class", "score", "box"}] -> the verdict stored on the media: the score of the
    likeliest exposed part (0 when none), labels [{"label", "score"}] best first, one per label."""
    best: dict[str, float] = {}
    for detection in detections:
        label, score = str(detection["class"]), float(detection["score"])
        best[label] = max(score, best.get(label, 0.0))
    labels = [{"label": label, "score": round(score, 4)} for label, score in best.items()]
    labels.sort(key=lambda item: (-item["score"], item["label"]))
    score = max((score for label, score in best.items() if label in EXPOSED_LABELS), default=0.0)
    return NsfwVerdict(score=round(score, 4), labels=labels)


def _nudenet_importable() -> bool:
    try:
        import nudenet  # noqa: F401
    except ImportError:
        return False
    return True


def detector_name() -> str:
    """ "nudenet" or "none", from SEIDRA_NSFW_DETECTOR; DetectorSettingError when it cannot be honoured."""
    wanted = str(settings.SEIDRA_NSFW_DETECTOR).strip().lower()
    if wanted not in DETECTORS:
        raise DetectorSettingError(
            f"SEIDRA_NSFW_DETECTOR={settings.SEIDRA_NSFW_DETECTOR!r} is not a detector: use auto, nudenet or none."
        )
    if wanted == "auto":
        return "nudenet" if _nudenet_importable() else "none"
    if wanted == "nudenet" and not _nudenet_importable():
        raise DetectorSettingError(
            "SEIDRA_NSFW_DETECTOR=nudenet but the nudenet package is not installed: "
            "pip install -r requirements/nsfw.txt, or set SEIDRA_NSFW_DETECTOR=none."
        )
    return wanted


def _nudenet_load() -> Callable[[Image.Image], NsfwVerdict]:
    import numpy
    from nudenet import NudeDetector

    detector = NudeDetector()  # its 320n.onnx, from the wheel: no download

    def score(image: Image.Image) -> NsfwVerdict:
        # RGBA is what NudeNet's reader converts from (cv2.COLOR_RGBA2BGR) for an array.
        return verdict_from_detections(detector.detect(numpy.asarray(image.convert("RGBA"))))

    return score


_lock = threading.Lock()
_loaded: dict[str, Callable[[Image.Image], NsfwVerdict] | None] = {}


def nsfw_detector_load() -> Callable[[Image.Image], NsfwVerdict] | None:
    """The resident scoring function of this process (None: detector off), loaded on the first call."""
    with _lock:
        if "detector" not in _loaded:
            name = detector_name()
            _loaded["detector"] = _nudenet_load() if name == "nudenet" else None
            logger.info("NSFW detector: %s", name)
        return _loaded["detector"]


def nsfw_verdict(image: Image.Image) -> NsfwVerdict | None:
    """The detector's verdict on one image, or None (detector off, or it failed: logged, and the
    image is stored unscored rather than failing the job that made it)."""
    try:
        detector = nsfw_detector_load()
        return detector(image) if detector is not None else None
    except DetectorSettingError:
        raise
    except Exception:
        logger.exception("NSFW detector failed; the image is stored unscored")
        return None
