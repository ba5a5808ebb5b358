"""Each frame of the local engine: the character image with its mouth warped to the speech, eyelids
blinking, and a slight head sway; everything outside the face region is left exactly as it was.

All the work happens on the face region (the face box and a margin): the mouth is moved with one
cv2.remap on a small window around it, so a frame costs well under a millisecond of drawing at 512.
"""

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .face import Face
from .speech import CLOSED, NEUTRAL, OPEN, REST, ROUND, WIDE

# Viseme -> (mouth width factor, share of the opening): round lips narrow, wide ones stretch.
VISEME_SHAPES = {
    REST: (1.0, 0.0),
    NEUTRAL: (1.0, 0.75),
    CLOSED: (1.02, 0.15),
    ROUND: (0.84, 0.9),
    WIDE: (1.12, 0.55),
    OPEN: (1.0, 1.0),
}
LOWER_LIP_TRAVEL = 0.34  # of the mouth width, at full opening: the jaw drops
UPPER_LIP_TRAVEL = 0.1
MOUTH_INTERIOR = np.array([58, 26, 24], dtype=np.float32)  # a dark mouth, not pure black
FACE_MARGIN = 0.3  # of the face box on each side: the region that moves
BLINK_FRAMES = (0.45, 1.0, 1.0, 0.7, 0.3)  # eyelid closure over a blink of five frames (200 ms)
SWAY_DEGREES = 1.6
SWAY_SHIFT = 0.012  # of the face height


def _smooth_window(distance: np.ndarray) -> np.ndarray:
    """1 at 0, 0 at 1 and beyond, smooth (a raised cosine)."""
    return 0.5 * (1 + np.cos(np.pi * np.clip(distance, 0.0, 1.0)))


def _ellipse_mask(height: int, width: int, center, axes, feather: float) -> np.ndarray:
    """A float32 mask of an ellipse, 1 inside, fading to 0 over `feather` pixels at its edge."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    radius = np.sqrt(((xs - center[0]) / max(axes[0], 1e-3)) ** 2 + ((ys - center[1]) / max(axes[1], 1e-3)) ** 2)
    edge = feather / max(min(axes), 1e-3)
    return np.clip((1 + edge / 2 - radius) / edge, 0.0, 1.0)


@dataclass
class _Window:
    """A rectangle of the face region: top, bottom, left, right (region coordinates)."""

    top: int
    bottom: int
    left: int
    right: int

    def of(self, array: np.ndarray) -> np.ndarray:
        return array[self.top : self.bottom, self.left : self.right]


def blink_schedule(frames: int, fps: int, seed: int) -> np.ndarray:
    """Eyelid closure per frame: a blink every 2.5 to 5.5 seconds, as people do when talking."""
    rng = np.random.default_rng(seed)
    closure = np.zeros(frames, dtype=np.float32)
    start = int(rng.uniform(0.8, 2.5) * fps)
    while start < frames:
        for offset, value in enumerate(BLINK_FRAMES):
            if start + offset < frames:
                closure[start + offset] = value
        start += int(rng.uniform(2.5, 5.5) * fps)
    return closure


class FaceAnimator:
    def __init__(self, base: np.ndarray, face: Face, *, still: bool) -> None:
        self.base = base
        self.still = still
        height, width = base.shape[:2]
        x, y, box_width, box_height = face.box
        margin_x, margin_y = box_width * FACE_MARGIN, box_height * FACE_MARGIN
        self.region = _Window(
            top=max(0, int(y - margin_y)), bottom=min(height, int(math.ceil(y + box_height + margin_y))),
            left=max(0, int(x - margin_x)), right=min(width, int(math.ceil(x + box_width + margin_x))),
        )  # fmt: skip
        region_height = self.region.bottom - self.region.top
        region_width = self.region.right - self.region.left
        # The whole region moves with the head, feathered into the still image around it.
        self.region_mask = _ellipse_mask(
            region_height, region_width, (region_width / 2, region_height / 2),
            (region_width / 2, region_height / 2), feather=max(4.0, 0.15 * min(region_width, region_height)),
        )[..., None]  # fmt: skip
        self.face_height = box_height
        # The head turns around the chin, in region coordinates.
        self.pivot = (x + box_width / 2 - self.region.left, y + box_height - self.region.top)
        self._mouth_prepare(face)
        self._eyes_prepare(face)

    # --- the mouth -------------------------------------------------------------------------------

    def _mouth_prepare(self, face: Face) -> None:
        center_x, center_y = face.mouth_center
        self.mouth_width = max(face.mouth_width, 4.0)
        self.mouth_center = (center_x - self.region.left, center_y - self.region.top)
        width = self.mouth_width
        cx, cy = self.mouth_center
        region_height = self.region.bottom - self.region.top
        region_width = self.region.right - self.region.left
        self.mouth_window = _Window(
            top=max(0, int(cy - 0.55 * width)), bottom=min(region_height, int(math.ceil(cy + 1.15 * width))),
            left=max(0, int(cx - 0.95 * width)), right=min(region_width, int(math.ceil(cx + 0.95 * width))),
        )  # fmt: skip
        window = self.mouth_window
        ys, xs = np.mgrid[window.top : window.bottom, window.left : window.right].astype(np.float32)
        self.mouth_xs, self.mouth_ys = xs, ys
        across = _smooth_window(np.abs(xs - cx) / (0.9 * width))
        below = ys >= cy
        # How far each pixel follows the lower lip (down) or the upper lip (up).
        self.follows_lower = across * np.where(below, _smooth_window((ys - cy) / (window.bottom - cy)), 0.0)
        self.follows_upper = across * np.where(below, 0.0, _smooth_window((cy - ys) / max(cy - window.top, 1.0)))
        self.follows_width = _smooth_window(np.abs(ys - cy) / (0.45 * width)) * _smooth_window(
            np.abs(xs - cx) / (1.1 * width)
        )

    def _mouth_draw(self, patch: np.ndarray, viseme: str, opening: float) -> None:
        width_factor, share = VISEME_SHAPES[viseme]
        amount = opening * share
        if amount < 0.01 and abs(width_factor - 1.0) < 0.01:
            return
        cx, cy = self.mouth_center
        down = LOWER_LIP_TRAVEL * self.mouth_width * amount
        up = UPPER_LIP_TRAVEL * self.mouth_width * amount
        xs, ys = self.mouth_xs, self.mouth_ys
        # Each output pixel takes the source pixel that moved onto it (the inverse of the motion,
        # close enough for moves this small and this smooth).
        source_y = ys - down * self.follows_lower + up * self.follows_upper
        source_x = xs + (cx + (xs - cx) / width_factor - xs) * self.follows_width
        window = self.mouth_window
        warped = cv2.remap(patch, source_x, source_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        gap = up + down
        if gap >= 0.6:
            interior = _ellipse_mask(
                window.bottom - window.top, window.right - window.left,
                (cx - window.left, cy - window.top + (down - up) / 2),
                (0.36 * self.mouth_width * width_factor, 0.42 * gap), feather=1.5,
            )[..., None]  # fmt: skip
            warped = warped * (1 - interior) + MOUTH_INTERIOR * interior
        window.of(patch)[:] = np.clip(np.rint(warped), 0, 255).astype(np.uint8)

    # --- the eyes --------------------------------------------------------------------------------

    def _eyes_prepare(self, face: Face) -> None:
        distance = max(face.eye_distance, 6.0)
        region_height = self.region.bottom - self.region.top
        region_width = self.region.right - self.region.left
        self.eyes = []
        for eye_x, eye_y in face.eyes:
            ex, ey = eye_x - self.region.left, eye_y - self.region.top
            half_width, half_height = 0.24 * distance, 0.12 * distance
            window = _Window(
                top=max(0, int(ey - half_height - 2)), bottom=min(region_height, int(math.ceil(ey + half_height + 2))),
                left=max(0, int(ex - half_width - 2)), right=min(region_width, int(math.ceil(ex + half_width + 2))),
            )  # fmt: skip
            # The eyelid's colour: the skin just above the eye.
            skin = self.base[
                max(0, int(eye_y - 0.24 * distance)) : max(1, int(eye_y - 0.14 * distance)),
                max(0, int(eye_x - 0.1 * distance)) : int(eye_x + 0.1 * distance) + 1,
            ].reshape(-1, 3)
            lid = np.median(skin, axis=0).astype(np.float32) if skin.size else np.array([150, 110, 90], np.float32)
            ys = np.mgrid[window.top : window.bottom, window.left : window.right][0].astype(np.float32)
            shape = _ellipse_mask(
                window.bottom - window.top, window.right - window.left,
                (ex - window.left, ey - window.top), (half_width, half_height), feather=1.5,
            )  # fmt: skip
            self.eyes.append((window, ys, shape, lid, ey - half_height, 2 * half_height))

    def _eyes_draw(self, patch: np.ndarray, closure: float) -> None:
        if closure <= 0.0:
            return
        for window, ys, shape, lid, top, span in self.eyes:
            edge = top + closure * span
            covered = shape * np.clip(edge - ys + 0.5, 0.0, 1.0)
            lash = shape * np.clip(1.2 - np.abs(ys - edge), 0.0, 1.0) * min(1.0, closure * 1.5)
            area = window.of(patch).astype(np.float32)
            area = area * (1 - covered[..., None]) + lid * covered[..., None]
            area = area * (1 - 0.6 * lash[..., None])
            window.of(patch)[:] = np.clip(np.rint(area), 0, 255).astype(np.uint8)

    # --- the head --------------------------------------------------------------------------------

    def _sway(self, patch: np.ndarray, seconds: float, opening: float) -> np.ndarray:
        angle = SWAY_DEGREES * (
            0.7 * math.sin(2 * math.pi * 0.21 * seconds) + 0.3 * math.sin(2 * math.pi * 0.47 * seconds)
        )
        angle += 0.4 * opening  # a slight nod with the voice
        shift_x = SWAY_SHIFT * self.face_height * math.sin(2 * math.pi * 0.13 * seconds + 1.0)
        shift_y = SWAY_SHIFT * self.face_height * 0.5 * math.sin(2 * math.pi * 0.29 * seconds)
        matrix = cv2.getRotationMatrix2D(self.pivot, angle, 1.0)
        matrix[:, 2] += (shift_x, shift_y)
        return cv2.warpAffine(
            patch, matrix, (patch.shape[1], patch.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )

    def frame(self, *, seconds: float, viseme: str, opening: float, closure: float) -> np.ndarray:
        """The frame at `seconds`: a new array; the base image is never modified."""
        frame = self.base.copy()
        region = self.region.of(self.base)
        patch = region.copy()
        self._mouth_draw(patch, viseme, opening)
        self._eyes_draw(patch, closure)
        if not self.still:
            patch = self._sway(patch, seconds, opening)
        blended = patch * self.region_mask + region * (1 - self.region_mask)
        self.region.of(frame)[:] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
        return frame
