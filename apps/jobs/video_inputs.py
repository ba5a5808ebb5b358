"""Where a video job's inputs wait for the worker: the one path rule, shared by the web process that
stores them at submit (apps/jobs/video_submit.py) and the worker that reads them (workers/video/).

`MEDIA_ROOT/job-inputs/<job id>/`: `character.png` (the checked character image, converted to RGB
PNG; absent when the portrait is to be generated) and `audio.<wav|mp3|ogg>` (the upload as sent,
named by the format its content was recognised as). Kept until the job is deleted, so a retry finds
them; the outputs themselves go to the gallery.
"""

import shutil
from pathlib import Path

from django.conf import settings

from apps.catalog.video_request import CHARACTER_GENERATED

CHARACTER_NAME = "character.png"
AUDIO_STEM = "audio"


def video_inputs_dir(job_id) -> Path:
    return Path(settings.MEDIA_ROOT) / "job-inputs" / str(job_id)


def video_character_path(job_id) -> Path:
    return video_inputs_dir(job_id) / CHARACTER_NAME


def video_audio_path(job_id, audio_format: str) -> Path:
    return video_inputs_dir(job_id) / f"{AUDIO_STEM}.{audio_format}"


def video_inputs_delete(job_id) -> None:
    shutil.rmtree(video_inputs_dir(job_id), ignore_errors=True)


def video_inputs_complete(job_id, parameters: dict) -> bool:
    """Whether the inputs a video job's parameters name are all in place (a retry needs them)."""
    audio_format = (parameters.get("audio") or {}).get("format")
    if not audio_format or not video_audio_path(job_id, audio_format).is_file():
        return False
    generated = (parameters.get("character") or {}).get("source") == CHARACTER_GENERATED
    return generated or video_character_path(job_id).is_file()
