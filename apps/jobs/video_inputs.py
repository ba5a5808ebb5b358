"""Where a video job's inputs wait for the worker: the one name rule, shared by the web process that
stores them at submit (apps/jobs/video_submit.py) and the worker that reads them (workers/video/).

They are media-storage files (apps.core.media_storage: MEDIA_ROOT on the local disk, or the bucket,
so a worker on another host finds them) named `job-inputs/<job id>/`: `character.png` (the checked
character image, converted to RGB PNG; absent when the portrait is to be generated) and
`audio.<wav|mp3|ogg>` (the upload as sent, named by the format its content was recognised as). Kept
until the job is deleted, so a retry finds them; the worker copies them into its scratch folder; the
outputs themselves go to the gallery.
"""

from pathlib import Path

from django.conf import settings

from apps.catalog.video_request import CHARACTER_GENERATED
from apps.core.media_storage import file_copy_exact, file_exists, file_write_exact, files_delete_under

CHARACTER_NAME = "character.png"
AUDIO_STEM = "audio"


def video_inputs_folder(job_id) -> str:
    return f"job-inputs/{job_id}"


def video_character_name(job_id) -> str:
    return f"{video_inputs_folder(job_id)}/{CHARACTER_NAME}"


def video_audio_name(job_id, audio_format: str) -> str:
    return f"{video_inputs_folder(job_id)}/{AUDIO_STEM}.{audio_format}"


# Local storage only (tests look at the files): where the names above lie under MEDIA_ROOT.
def video_inputs_dir(job_id) -> Path:
    return Path(settings.MEDIA_ROOT) / video_inputs_folder(job_id)


def video_character_path(job_id) -> Path:
    return Path(settings.MEDIA_ROOT) / video_character_name(job_id)


def video_audio_path(job_id, audio_format: str) -> Path:
    return Path(settings.MEDIA_ROOT) / video_audio_name(job_id, audio_format)


def video_inputs_store(job_id, *, character_png: bytes | None, audio, audio_format: str) -> None:
    """Store a new job's inputs: the checked character image (None: a portrait is generated) and the
    audio track (a readable binary stream)."""
    if character_png is not None:
        file_write_exact(video_character_name(job_id), character_png)
    file_write_exact(video_audio_name(job_id, audio_format), audio)


def video_inputs_copy(source_job_id, target_job_id, parameters: dict) -> None:
    """A retry's own copy of the inputs the job's parameters name (FileNotFoundError when one is gone)."""
    sources, targets = _input_names(source_job_id, parameters), _input_names(target_job_id, parameters)
    if sources is None:
        raise FileNotFoundError(f"video job {source_job_id}: its parameters name no audio format")
    for source, target in zip(sources, targets, strict=True):
        file_copy_exact(source, target)


def video_inputs_delete(job_id) -> None:
    files_delete_under(video_inputs_folder(job_id))


def _input_names(job_id, parameters: dict) -> list[str] | None:
    """The stored inputs a video job's parameters name: its audio track, and its character image
    unless a portrait is generated; None when the parameters name no audio format."""
    audio_format = (parameters.get("audio") or {}).get("format")
    if not audio_format:
        return None
    generated = (parameters.get("character") or {}).get("source") == CHARACTER_GENERATED
    return [video_audio_name(job_id, audio_format)] + ([] if generated else [video_character_name(job_id)])


def video_inputs_complete(job_id, parameters: dict) -> bool:
    """Whether the inputs a video job's parameters name are all in place (a retry needs them)."""
    names = _input_names(job_id, parameters)
    return names is not None and all(file_exists(name) for name in names)
