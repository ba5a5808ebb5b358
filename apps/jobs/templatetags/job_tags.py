"""Filters of the job pages: the live state of a job, and its labels for people."""

from datetime import datetime

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.catalog.parameters import SCHEDULERS
from apps.catalog.video_request import VIDEO_ENGINE_LABELS
from apps.gallery.display import HIDE, media_display_decide
from apps.jobs.events import job_state, media_state
from apps.jobs.models import ACTIVE_STATUSES, Job, JobStatus

register = template.Library()

STAGES = {
    "loading": gettext_lazy("loading the model"),
    "denoising": gettext_lazy("denoising"),
    "decoding": gettext_lazy("decoding"),
    "requeued": gettext_lazy("queued again"),
    # Video jobs (workers/video/job.py).
    "preparing": gettext_lazy("Preparing the image"),
    "lipsync": gettext_lazy("Lip-sync"),
    "encoding": gettext_lazy("Encoding"),
}


@register.simple_tag(takes_context=True)
def live_state(context, job: Job) -> dict:
    """`{% live_state job as state %}`: the same dict the websocket sends (apps.jobs.events.job_state),
    so a page and its live updates render the parts with one set of templates. Outputs come from
    the prefetched rows; the view's `queue_places` (apps.jobs.selectors.job_queue_places), when
    given, says where QUEUED jobs wait."""
    queue_places = context.get("queue_places")
    place = queue_places.get(str(job.pk)) if queue_places else None
    state = job_state(job, with_outputs=False, queue_place=place)
    outputs = sorted(job.outputs.all(), key=lambda media: media.index) if job.is_final else []
    state["outputs"] = [media_state(media) for media in outputs]
    state["cancel_requested"] = job.cancel_requested
    return state


@register.simple_tag(takes_context=True)
def outputs_for_display(context, outputs: list[dict]) -> dict:
    """`{% outputs_for_display state.outputs as shown %}`: the outputs the viewer sees, each with
    `blur` set, and how many are left out (apps.gallery.display decides, from the viewer's
    preference: the page's user, or the websocket's `nsfw_display`)."""
    preference = context.get("nsfw_display") or getattr(context.get("user"), "nsfw_display", None)
    shown, hidden = [], 0
    for output in outputs or []:
        display = media_display_decide(
            flagged=output.get("flagged", False), moderation=output.get("moderation", ""), preference=preference
        )
        if display == HIDE:
            hidden += 1
        else:
            shown.append({**output, "blur": display == "blur"})
    return {"items": shown, "hidden": hidden}


@register.filter
def status_label(status: str) -> str:
    try:
        return JobStatus(status).label
    except ValueError:
        return status


@register.filter
def stage_label(stage: str) -> str:
    return STAGES.get(stage, "")


@register.filter
def video_engine_label(engine: str) -> str:
    """What made a video, said plainly (the local engine's motion is only approximate)."""
    label = VIDEO_ENGINE_LABELS.get(engine)
    return str(label) if label else ""


@register.filter
def seconds(value) -> str:
    """A media's duration as people read it: 3.0 s, 12.5 s."""
    if value is None or value == "":
        return ""
    return _("%(s)s s") % {"s": number_format(round(float(value), 1), 1)}


@register.filter
def is_active(status: str) -> bool:
    return status in ACTIVE_STATUSES


@register.filter
def percent(progress) -> int:
    try:
        return max(0, min(100, round(float(progress) * 100)))
    except (TypeError, ValueError):
        return 0


@register.filter
def duration(seconds) -> str:
    """12 s, 3 min 05 s, 2 h 04 min."""
    if seconds is None or seconds == "":
        return ""
    seconds = max(0, round(float(seconds)))
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": seconds}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}


def _instant(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@register.filter
def seconds_between(start, end) -> float | None:
    start, end = _instant(start), _instant(end)
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


@register.filter
def scheduler_label(key: str) -> str:
    return SCHEDULERS.get(key, key)
