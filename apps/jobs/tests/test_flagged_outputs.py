"""Flagged outputs in the jobs table, the recent-jobs cards and the job page, as each user chose to
see them (User.nsfw_display): left out with a count ("hide"), blurred until clicked ("blur"), or shown."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client

from apps.accounts.models import NsfwDisplay
from apps.gallery.models import ModerationState
from apps.gallery.services import NsfwVerdict
from apps.jobs.events import job_state
from tests.support.auth import log_in
from tests.support.flagged_media import EXPOSED, finished_job_with_outputs

PASSWORD = "a-long-test-passphrase"
FLAGGED, CLEAN = NsfwVerdict(score=0.91, labels=EXPOSED), NsfwVerdict(score=0.02)


def _outputs(page: str, job) -> str:
    match = re.search(rf'<div id="job-{job.pk}-outputs"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no outputs block"
    return match.group(1)


def _client_for(user_factory, preference: str) -> tuple[Client, object]:
    user = user_factory("alice", PASSWORD, nsfw_display=preference)
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    return client, user


PAGES = [lambda job: "/jobs/", lambda job: f"/jobs/{job.pk}/", lambda job: "/create/"]


@pytest.mark.django_db
@pytest.mark.parametrize("page_of", PAGES, ids=["jobs table", "job page", "recent-jobs cards"])
def test_hide_leaves_the_flagged_image_out_and_says_so(user_factory, page_of, tiny_model):
    client, user = _client_for(user_factory, NsfwDisplay.HIDE)
    job = finished_job_with_outputs(user, verdicts=[FLAGGED, CLEAN])
    flagged, clean = sorted(job.outputs.all(), key=lambda media: media.index)
    outputs = _outputs(client.get(page_of(job)).content.decode(), job)
    assert f"/media/{clean.pk}/file" in outputs and f"/media/{flagged.pk}/file" not in outputs
    assert "1 image hidden (flagged)" in outputs


@pytest.mark.django_db
@pytest.mark.parametrize("page_of", PAGES, ids=["jobs table", "job page", "recent-jobs cards"])
def test_blur_marks_the_flagged_image_only(user_factory, page_of, tiny_model):
    client, user = _client_for(user_factory, NsfwDisplay.BLUR)
    job = finished_job_with_outputs(user, verdicts=[FLAGGED, CLEAN])
    flagged, clean = sorted(job.outputs.all(), key=lambda media: media.index)
    outputs = _outputs(client.get(page_of(job)).content.decode(), job)
    links = dict(re.findall(r'<a href="/media/([0-9a-f-]+)/file" class="([^"]*)"', outputs))
    assert links == {str(flagged.pk): "job-output nsfw-blur", str(clean.pk): "job-output"}
    assert "data-nsfw-blur" in outputs and "hidden (flagged)" not in outputs


@pytest.mark.django_db
def test_show_shows_everything_plainly(user_factory, tiny_model):
    client, user = _client_for(user_factory, NsfwDisplay.SHOW)
    job = finished_job_with_outputs(user, verdicts=[FLAGGED, CLEAN])
    outputs = _outputs(client.get(f"/jobs/{job.pk}/").content.decode(), job)
    assert outputs.count('class="job-output"') == 2 and "nsfw-blur" not in outputs


@pytest.mark.django_db
def test_a_moderators_decision_wins_over_the_preference(user_factory, tiny_model):
    client, user = _client_for(user_factory, NsfwDisplay.HIDE)
    job = finished_job_with_outputs(user, verdicts=[FLAGGED, FLAGGED])
    approved, hidden = sorted(job.outputs.all(), key=lambda media: media.index)
    approved.moderation, hidden.moderation = ModerationState.APPROVED, ModerationState.HIDDEN
    approved.save(), hidden.save()
    user.nsfw_display = NsfwDisplay.SHOW  # even "show" does not bring back what a moderator hid
    user.save()
    outputs = _outputs(client.get("/jobs/").content.decode(), job)
    assert f"/media/{approved.pk}/file" in outputs and 'class="job-output"' in outputs
    assert f"/media/{hidden.pk}/file" not in outputs and "1 image hidden (flagged)" in outputs


@pytest.mark.django_db
def test_every_output_hidden_is_not_called_no_image(user_factory, tiny_model):
    client, user = _client_for(user_factory, NsfwDisplay.HIDE)
    job = finished_job_with_outputs(user, verdicts=[FLAGGED, FLAGGED])
    outputs = _outputs(client.get("/jobs/").content.decode(), job)
    assert "2 images hidden (flagged)" in outputs and "No image" not in outputs


@pytest.mark.django_db
def test_the_live_fragment_of_a_finished_job_follows_the_sockets_preference(user_factory):
    user = user_factory("alice", PASSWORD)
    job = finished_job_with_outputs(user, verdicts=[FLAGGED])
    state = job_state(job)
    hidden = render_to_string("jobs/_job-live.html", {"job": state, "nsfw_display": NsfwDisplay.HIDE})
    assert "1 image hidden (flagged)" in _outputs(hidden, job)
    blurred = render_to_string("jobs/_job-live.html", {"job": state, "nsfw_display": NsfwDisplay.BLUR})
    assert "nsfw-blur" in _outputs(blurred, job)
