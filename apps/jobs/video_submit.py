"""PLACEHOLDER on branch h4 only, replaced by h1's module at merge (take h1's side): the signature
the Create page's video panel calls."""

from apps.core.errors import SeidraError


def video_job_create(*, owner, data: dict, audio, reference_image):
    raise SeidraError("Video jobs are not accepted yet.", status=400)
