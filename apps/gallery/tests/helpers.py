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
