"""Media as a finished job leaves them, and clients signed in as a user would be."""

from PIL import Image

from apps.accounts.services import access_token_create
from apps.gallery.models import Media
from apps.gallery.services import media_store_image
from apps.jobs.models import Job, JobStatus

PASSWORD = "a-long-test-passphrase"
BROWSER_NAVIGATION = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def stored_media(owner, *, prompt: str = "a red fox in the snow", size=(64, 32), color="teal", **parameters) -> Media:
    """One image stored by media_store_image, as the worker stores a job's output (thumbnails included)."""
    job = Job.objects.create(owner=owner, status=JobStatus.RUNNING, parameters={"prompt": prompt})
    image = Image.new("RGB", size, color)
    return media_store_image(job=job, index=0, image=image, parameters={"prompt": prompt, "seed": 5, **parameters})


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {access_token_create(username=user.username, hours=1)}"}


VIDEO_BYTES = bytes(range(256)) * 40  # 10,240 bytes, each offset's value known: ranges are checkable


def stored_video(
    owner, *, prompt: str = "a sailor sings", duration: float = 3.0, engine: str = "local-motion", tmp_dir
) -> Media:
    """A video output as media_store_video keeps it (MP4, WebM, poster, duration), and its audio track
    beside it, as the video worker leaves them. The files' bytes are a known pattern, not a real video:
    what is tested here is how they are served and shown."""
    from pathlib import Path

    from apps.gallery.services import media_store_audio, media_store_video

    job = Job.objects.create(
        owner=owner, kind="video", engine=engine, status=JobStatus.RUNNING, parameters={"prompt": prompt}
    )
    folder = Path(tmp_dir)
    (folder / "out.mp4").write_bytes(VIDEO_BYTES)
    (folder / "out.webm").write_bytes(VIDEO_BYTES[::-1])
    (folder / "audio.wav").write_bytes(b"RIFF" + bytes(60))
    parameters = {"prompt": prompt, "duration": duration, "engine": engine}
    poster = Image.new("RGB", (64, 64), "navy")
    video = media_store_video(
        job=job, index=0, mp4=folder / "out.mp4", webm=folder / "out.webm", poster=poster, duration=duration,
        parameters=parameters,
    )  # fmt: skip
    media_store_audio(job=job, index=1, path=folder / "audio.wav", duration=duration, parameters=parameters)
    return video
