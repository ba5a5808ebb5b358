"""The job pages through the test client: the create form, the jobs table, a job's detail, the
cancel/retry/delete actions (htmx and plain POST), and the live fragments the websocket sends."""

import html
import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from apps.gallery.models import Media
from apps.jobs.events import job_state
from apps.jobs.models import Job, JobKind, JobStatus
from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"
DEMO = "seidra-tiny-sdxl"
LORA = "seidra-tiny-lora"
# What the create form posts for a small custom-size image on the demo model.
VALID = {
    "prompt": "a red fox in the snow",
    "negative_prompt": "blurry",
    "model": DEMO,
    "size": "custom",
    "width": "64",
    "height": "64",
    "steps": "12",
    "guidance": "6.5",
    "scheduler": "euler_a",
    "seed": "",
    "batch_size": "1",
}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def client(alice) -> Client:
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    return client


def error_of(page: str, field: str) -> str:
    """The text of the error list Django renders for `field` (id="id_<field>_error")."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert match, f"no error shown for {field}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


def make_job(owner, *, status=JobStatus.SUCCEEDED, prompt="a quiet harbour", minutes_ago=0, **fields) -> Job:
    parameters = {
        "prompt": prompt, "negative_prompt": "", "model": DEMO, "loras": [], "width": 64, "height": 64,
        "steps": 12, "guidance": 7.0, "scheduler": "euler_a", "seed": None, "batch_size": 1,
    }  # fmt: skip
    parameters.update(fields.pop("parameters", {}))
    job = Job.objects.create(owner=owner, status=status, parameters=parameters, total_steps=12, **fields)
    Job.objects.filter(pk=job.pk).update(created=timezone.now() - timedelta(minutes=minutes_ago))
    job.refresh_from_db()
    return job


def add_output(job: Job, *, index: int = 0, seed: int = 5) -> Media:
    return Media.objects.create(
        owner=job.owner, job=job, index=index, file=f"outputs/{job.pk}-{index}.png", width=64, height=64,
        parameters={"seed": seed}, created=timezone.now(),
    )  # fmt: skip


# --- The create page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_page_offers_models_loras_sizes_and_schedulers(client, tiny_model):
    page = client.get("/create/").content.decode()
    assert "Create new artwork" in page
    option = re.search(rf'<option value="{DEMO}"([^>]*)>([^<]*)</option>', page)
    assert " selected" in option.group(1) and option.group(2) == f"{DEMO} (demo, random weights: images are noise)"
    for size in ("1024x1024", "1152x896", "896x1152", "1216x832", "832x1216", "1344x768", "768x1344", "custom"):
        assert f'<option value="{size}"' in page
    assert '<option value="euler_a" selected>Euler a</option>' in page
    # One checkbox and one weight slider (-4..4, step 0.05) per LoRA, at its default weight.
    assert f'name="loras" value="{LORA}"' in page
    slider = re.search(rf'<input type="range"[^>]*name="lora_weight:{LORA}"[^>]*>', page).group(0)
    assert 'min="-4"' in slider and 'max="4"' in slider and 'step="0.05"' in slider and 'value="' in slider
    assert 'ws-connect="/ws/jobs/?format=html&amp;list=card"' in page  # recent jobs gain new ones live


@pytest.mark.django_db
def test_missing_prompt_and_a_bad_width_are_shown_next_to_their_fields(client, tiny_model):
    response = client.post("/create/", {**VALID, "prompt": "", "width": "65"})
    assert response.status_code == 400
    page = response.content.decode()
    assert error_of(page, "prompt") == "This field is required."
    assert error_of(page, "width") == "Must be a multiple of 8."
    assert 'id="id_height_error"' not in page
    assert 'value="65"' in page  # what was typed stays
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_an_unknown_lora_is_reported_in_the_lora_block(client, tiny_model):
    response = client.post("/create/", {**VALID, "loras": ["no-such-style"]}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200  # htmx swaps the form with its errors
    assert error_of(page, "loras") == "No LoRA named 'no-such-style' is installed."
    assert page.index('class="lora-block has-error"') < page.index('id="id_loras_error"')
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_size_too_small_for_a_real_model_names_the_range(client, tiny_model):
    from apps.catalog.models import InstalledModel

    InstalledModel.objects.create(name="sdxl-real", kind="checkpoint", format="diffusers", path="sdxl-real")
    page = client.post("/create/", {**VALID, "model": "sdxl-real"}).content.decode()
    assert error_of(page, "width") == "Must be between 512 and 1536."
    assert error_of(page, "height") == "Must be between 512 and 1536."


@pytest.mark.django_db
def test_an_htmx_submit_queues_the_job_and_adds_it_to_recent_jobs(client, alice, tiny_model):
    from apps.catalog.models import InstalledModel

    # A real model: the demo model's limit (512 a side) is below every preset.
    InstalledModel.objects.create(name="sdxl-real", kind="checkpoint", format="diffusers", path="sdxl-real")
    data = {**VALID, "model": "sdxl-real", "loras": [LORA], f"lora_weight:{LORA}": "0.75", "seed": "42"}
    data["size"] = "1152x896"
    response = client.post("/create/", data, **HTMX)
    assert response.status_code == 200
    job = Job.objects.get(owner=alice)
    assert job.status == JobStatus.QUEUED
    assert job.parameters == {
        "prompt": "a red fox in the snow", "negative_prompt": "blurry", "model": "sdxl-real",
        "loras": [{"name": LORA, "weight": 0.75}], "width": 1152, "height": 896, "steps": 12, "guidance": 6.5,
        "scheduler": "euler_a", "seed": 42, "batch_size": 1,
    }  # fmt: skip
    page = response.content.decode()
    assert "Job queued." in page
    assert 'id="create-form"' in page and 'value="42"' in page  # the form stays filled in for the next try
    card = page[page.index('hx-swap-oob="afterbegin:#recent-jobs"') :]
    assert f'id="job-card-{job.pk}"' in card and "a red fox in the snow" in card
    assert 'data-status="QUEUED">Queued</span>' in card
    assert f'hx-get="/jobs/{job.pk}/item?as=card"' in card  # re-read once shown: events may have come first


@pytest.mark.django_db
def test_a_plain_post_redirects_to_the_page_listing_the_new_job(client, alice, tiny_model):
    response = client.post("/create/", VALID)
    assert response.status_code == 302 and response["Location"] == "/create/"
    job = Job.objects.get(owner=alice)
    assert job.parameters["width"] == 64 and job.parameters["seed"] is None
    page = client.get("/create/").content.decode()
    assert "Job queued." in page
    assert f'id="job-card-{job.pk}"' in page and 'data-status="QUEUED"' in page
    assert f'action="/jobs/{job.pk}/cancel"' in page


@pytest.mark.django_db
def test_the_queue_limit_is_shown_as_a_form_error(client, alice, tiny_model, settings):
    settings.SEIDRA_MAX_QUEUED_PER_USER = 1
    make_job(alice, status=JobStatus.QUEUED)
    response = client.post("/create/", VALID)
    assert response.status_code == 429 and response["Retry-After"] == "30"
    assert "You already have 1 jobs waiting, the most allowed." in response.content.decode()
    response = client.post("/create/", VALID, **HTMX)
    assert response.status_code == 200 and response["Retry-After"] == "30"  # htmx swaps 200s only
    error = re.search(r'<div class="form-error" role="alert">(.*?)</div>', response.content.decode(), re.S).group(1)
    assert "You already have 1 jobs waiting" in error
    assert Job.objects.filter(owner=alice).count() == 1


@pytest.mark.django_db
def test_without_a_model_the_create_page_says_how_to_install_one(client, settings, tmp_path):
    settings.SEIDRA_MODELS_DIR = tmp_path
    page = client.get("/create/").content.decode()
    empty = page[page.index('data-testid="empty-state"') :]
    assert "No model is installed" in empty and "make models" in empty and "make_tiny_model" in empty
    assert 'id="create-form"' not in page


@pytest.mark.django_db
def test_pages_need_a_signed_in_user(tiny_model):
    for path in ("/create/", "/jobs/"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- The jobs table -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_jobs_table_shows_live_parts_and_the_actions_each_status_allows(client, alice):
    running = make_job(
        alice, status=JobStatus.RUNNING, prompt="running fox", progress=0.5, step=6, eta_seconds=3.2, stage="denoising",
        started=timezone.now(),
    )  # fmt: skip
    done = make_job(alice, prompt="finished fox", minutes_ago=5)
    output = add_output(done)
    failed = make_job(alice, status=JobStatus.FAILED, prompt="failed fox", error="CUDA out of memory", minutes_ago=9)

    page = client.get("/jobs/").content.decode()
    assert page.index("running fox") < page.index("finished fox") < page.index("failed fox")  # newest first

    row = re.search(rf'<tr id="job-row-{running.pk}".*?</tr>', page, re.S).group(0)
    assert 'data-status="RUNNING">Running</span>' in row and "denoising" in row
    assert '<progress max="100" value="50"' in row and "step 6/12" in row and "3 s left" in row
    assert f'action="/jobs/{running.pk}/cancel"' in row and "/retry" not in row and "/delete" not in row

    row = re.search(rf'<tr id="job-row-{done.pk}".*?</tr>', page, re.S).group(0)
    assert f'<a href="/media/{output.pk}/file"' in row and f'src="/media/{output.pk}/thumbnail?size=256"' in row
    assert f'action="/jobs/{done.pk}/retry"' in row and f'action="/jobs/{done.pk}/delete"' in row
    assert 'hx-confirm="Delete this job? Its images stay in the gallery."' in row
    assert "/cancel" not in row

    row = re.search(rf'<tr id="job-row-{failed.pk}".*?</tr>', page, re.S).group(0)
    assert "Failed" in row and "CUDA out of memory" in row
    assert f'<a href="/jobs/{failed.pk}/"' in row


@pytest.mark.django_db
def test_jobs_table_filters_by_status_and_kind(client, alice, user_factory):
    make_job(alice, prompt="succeeded fox")
    make_job(alice, status=JobStatus.FAILED, prompt="failed fox")
    make_job(alice, status=JobStatus.CANCELLED, prompt="cancelled fox")
    make_job(user_factory("bob"), status=JobStatus.FAILED, prompt="fox of bob")

    page = client.get("/jobs/", {"status": "FAILED"}).content.decode()
    assert "failed fox" in page and "succeeded fox" not in page and "cancelled fox" not in page
    assert "fox of bob" not in page
    assert '<option value="FAILED" selected>' in page

    page = client.get("/jobs/", {"kind": JobKind.VIDEO}).content.decode()
    assert "No jobs match these filters." in page and "fox" not in page

    page = client.get("/jobs/", {"status": "NOT-A-STATUS"}).content.decode()
    assert "succeeded fox" in page and "failed fox" in page  # an unknown filter shows everything


@pytest.mark.django_db
def test_jobs_table_pages_keep_the_filter(client, alice):
    for number in range(25):
        make_job(alice, status=JobStatus.FAILED, prompt=f"failed number {number:02d}", minutes_ago=number)
    make_job(alice, prompt="a success", minutes_ago=100)

    first = client.get("/jobs/", {"status": "FAILED"}).content.decode()
    assert first.count('class="job-item"') == 20
    assert "failed number 00" in first and "failed number 19" in first and "failed number 20" not in first
    assert "Page 1 of 2" in first
    assert 'href="?status=FAILED&amp;page=2"' in first

    second = client.get("/jobs/", {"status": "FAILED", "page": "2"}).content.decode()
    assert second.count('class="job-item"') == 5
    assert "failed number 24" in second and "a success" not in second


@pytest.mark.django_db
def test_jobs_table_empty_state(client):
    page = client.get("/jobs/").content.decode()
    empty = page[page.index('data-testid="empty-state"') :]
    assert "No jobs yet." in empty and 'href="/create/"' in empty
    # The table is there without rows (CSS hides it), ready for a job created meanwhile.
    assert '<tbody id="job-rows"' in page and "job-item" not in page


@pytest.mark.django_db
def test_only_page_one_of_the_jobs_table_asks_for_new_jobs_with_its_filters(client, alice):
    for number in range(21):
        make_job(alice, prompt=f"job {number}", minutes_ago=number)
    first = client.get("/jobs/?status=SUCCEEDED&kind=image&junk=1").content.decode()
    assert 'ws-connect="/ws/jobs/?format=html&amp;list=row&amp;status=SUCCEEDED&amp;kind=image"' in first
    second = client.get("/jobs/?status=SUCCEEDED&page=2").content.decode()
    assert 'ws-connect="/ws/jobs/?format=html"' in second


@pytest.mark.django_db
def test_jobs_page_in_french_shows_the_french_title(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get("/jobs/").content.decode()
    assert '<html lang="fr">' in page and "<h1>Tâches</h1>" in page


# --- Actions --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cancelling_a_queued_job_with_htmx_returns_its_updated_row(client, alice):
    job = make_job(alice, status=JobStatus.QUEUED)
    response = client.post(f"/jobs/{job.pk}/cancel", HTTP_HX_TARGET=f"job-row-{job.pk}", **HTMX)
    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith(f'<tr id="job-row-{job.pk}"')
    assert 'data-status="CANCELLED">Cancelled</span>' in row and "/retry" in row
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


@pytest.mark.django_db
def test_cancelling_from_a_card_returns_the_card(client, alice):
    job = make_job(alice, status=JobStatus.QUEUED)
    response = client.post(f"/jobs/{job.pk}/cancel", HTTP_HX_TARGET=f"job-card-{job.pk}", **HTMX)
    assert response.content.decode().lstrip().startswith(f'<article id="job-card-{job.pk}"')


@pytest.mark.django_db
def test_cancelling_a_running_job_asks_the_worker_to_stop(client, alice):
    job = make_job(alice, status=JobStatus.RUNNING, started=timezone.now())
    response = client.post(f"/jobs/{job.pk}/cancel", HTTP_HX_TARGET=f"job-row-{job.pk}", **HTMX)
    row = response.content.decode()
    assert "cancelling…" in row and "/cancel" not in row
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.cancel_requested


@pytest.mark.django_db
def test_cancel_without_htmx_redirects_back_with_a_message(client, alice):
    job = make_job(alice, status=JobStatus.QUEUED)
    response = client.post(f"/jobs/{job.pk}/cancel", {"next": "/jobs/?status=QUEUED"})
    assert response.status_code == 302 and response["Location"] == "/jobs/?status=QUEUED"
    assert "Job cancelled." in client.get("/jobs/").content.decode()
    response = client.post(f"/jobs/{job.pk}/cancel", {"next": "https://elsewhere.example/"})
    assert response["Location"] == "/jobs/"  # never off-site


@pytest.mark.django_db
def test_cancelling_a_finished_job_shows_why_it_cannot(client, alice):
    job = make_job(alice)
    response = client.post(f"/jobs/{job.pk}/cancel", HTTP_HX_TARGET=f"job-row-{job.pk}", **HTMX)
    assert response.status_code == 200
    assert 'role="alert">This job has already finished (Succeeded).</p>' in response.content.decode()
    response = client.post(f"/jobs/{job.pk}/cancel", {"next": "/jobs/"}, follow=True)
    assert "This job has already finished (Succeeded)." in response.content.decode()


@pytest.mark.django_db
def test_retrying_with_htmx_puts_the_new_job_above_the_old_one(client, alice):
    job = make_job(alice, status=JobStatus.FAILED, error="CUDA out of memory")
    response = client.post(f"/jobs/{job.pk}/retry", {"seed": "new"}, HTTP_HX_TARGET=f"job-row-{job.pk}", **HTMX)
    retried = Job.objects.get(retry_of=job)
    assert retried.status == JobStatus.QUEUED and retried.parameters == job.parameters
    rows = response.content.decode()
    assert rows.index(f'<tr id="job-row-{retried.pk}"') < rows.index(f'<tr id="job-row-{job.pk}"')
    assert f'hx-get="/jobs/{retried.pk}/item?as=row"' in rows


@pytest.mark.django_db
def test_retrying_from_the_detail_page_opens_the_new_job(client, alice):
    job = make_job(alice, status=JobStatus.CANCELLED)
    response = client.post(f"/jobs/{job.pk}/retry", {"seed": "new"}, HTTP_HX_TARGET=f"job-detail-{job.pk}", **HTMX)
    retried = Job.objects.get(retry_of=job)
    assert response["HX-Redirect"] == f"/jobs/{retried.pk}/"
    response = client.post(f"/jobs/{job.pk}/retry", {"seed": "new", "next": f"/jobs/{job.pk}/"})
    assert response["Location"] == f"/jobs/{Job.objects.filter(retry_of=job).latest('created').pk}/"


@pytest.mark.django_db
def test_retrying_an_active_job_is_refused_with_a_message(client, alice):
    job = make_job(alice, status=JobStatus.RUNNING)
    response = client.post(f"/jobs/{job.pk}/retry", {"next": "/jobs/"}, follow=True)
    assert "This job is still Running; retry it once it has finished." in response.content.decode()
    assert not Job.objects.filter(retry_of=job).exists()


@pytest.mark.django_db
def test_deleting_a_finished_job(client, alice):
    job = make_job(alice)
    add_output(job)
    response = client.post(f"/jobs/{job.pk}/delete", HTTP_HX_TARGET=f"job-row-{job.pk}", **HTMX)
    assert response.status_code == 200 and response.content == b""  # the row is swapped for nothing
    assert not Job.objects.filter(pk=job.pk).exists()
    assert Media.objects.filter(owner=alice).count() == 1  # the images stay

    other = make_job(alice)
    response = client.post(f"/jobs/{other.pk}/delete", {"next": f"/jobs/{other.pk}/"})
    assert response["Location"] == "/jobs/"  # its own page is gone
    assert "Job deleted." in client.get("/jobs/").content.decode()


@pytest.mark.django_db
def test_deleting_an_active_job_is_refused(client, alice):
    job = make_job(alice, status=JobStatus.QUEUED)
    response = client.post(f"/jobs/{job.pk}/delete", HTTP_HX_TARGET=f"job-row-{job.pk}", **HTMX)
    assert "Cancel this job before deleting it." in response.content.decode()
    assert Job.objects.filter(pk=job.pk).exists()


@pytest.mark.django_db
def test_another_users_job_does_not_exist(client, user_factory):
    job = make_job(user_factory("bob"), status=JobStatus.FAILED)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/jobs/{job.pk}/item").status_code == 404
    for action in ("cancel", "retry", "delete"):
        assert client.post(f"/jobs/{job.pk}/{action}", **HTMX).status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and not Job.objects.filter(retry_of=job).exists()


@pytest.mark.django_db
def test_actions_are_post_only(client, alice):
    job = make_job(alice)
    assert client.get(f"/jobs/{job.pk}/delete").status_code == 405
    assert Job.objects.filter(pk=job.pk).exists()


# --- The detail page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_page_shows_parameters_outputs_and_timings(client, alice):
    created = timezone.now() - timedelta(seconds=30)
    job = make_job(
        alice, prompt="a lighthouse at dusk", progress=1.0, step=12,
        parameters={"negative_prompt": "fog", "loras": [{"name": LORA, "weight": 0.5}], "scheduler": "dpmpp_2m_karras"},
    )  # fmt: skip
    Job.objects.filter(pk=job.pk).update(
        created=created, started=created + timedelta(seconds=2), finished=created + timedelta(seconds=7)
    )
    first, second = add_output(job, index=0, seed=11), add_output(job, index=1, seed=12)

    page = client.get(f"/jobs/{job.pk}/").content.decode()
    parameters = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[page.index("Parameters") :]))
    for shown in (
        "Prompt a lighthouse at dusk", "Negative prompt fog", f"Model {DEMO}", f"LoRA styles {LORA} × 0.5",
        "Size 64 × 64", "Steps 12", "Guidance 7.0", "Scheduler DPM++ 2M Karras", "Seed random · drawn: 11, 12",
        "waited 2 s", "ran 5 s",
    ):  # fmt: skip
        assert shown in parameters, shown
    assert page.index(f'src="/media/{first.pk}/thumbnail?size=256"') < page.index(
        f'src="/media/{second.pk}/thumbnail?size=256"'
    )
    assert f'ws-connect="/ws/jobs/?format=html&amp;job={job.pk}"' in page
    assert f'id="job-detail-{job.pk}"' in page and 'data-status="SUCCEEDED">Succeeded</span>' in page


@pytest.mark.django_db
def test_detail_page_of_a_failed_job_shows_its_error(client, alice):
    job = make_job(alice, status=JobStatus.FAILED, error="Model missing: run make models.")
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert '<p class="job-error">Model missing: run make models.</p>' in page
    assert f'action="/jobs/{job.pk}/retry"' in page


# --- Live fragments (what /ws/jobs/?format=html sends) --------------------------------------------


def oob_ids(fragment: str) -> list[str]:
    return re.findall(r'<\w+ id="(job-[0-9a-f-]+-\w+)"[^>]*hx-swap-oob="true"', fragment)


@pytest.mark.django_db
def test_a_progress_fragment_updates_each_part_out_of_band(alice):
    job = make_job(alice, status=JobStatus.RUNNING, progress=0.25, step=3, eta_seconds=75, stage="denoising")
    fragment = render_to_string("jobs/_job-live.html", {"job": job_state(job, with_outputs=False), "event": "x"})
    assert oob_ids(fragment) == [f"job-{job.pk}-{part}" for part in ("status", "progress", "eta", "timings", "actions")]
    assert "<tr" not in fragment  # table rows cannot be swapped out of band without <template>
    assert 'data-status="RUNNING">Running</span>' in fragment and "denoising" in fragment
    assert '<progress max="100" value="25"' in fragment and "step 3/12" in fragment
    assert "1 min 15 s left" in fragment and "Cancel" in fragment
    assert "preview" not in fragment  # without a new preview, the last one stays on the page

    state = {**job_state(job, with_outputs=False), "preview": "data:image/jpeg;base64,AAAA"}
    fragment = render_to_string("jobs/_job-live.html", {"job": state, "event": "job.progress"})
    assert f"job-{job.pk}-preview" in oob_ids(fragment)
    assert '<img src="data:image/jpeg;base64,AAAA"' in fragment


@pytest.mark.django_db
def test_the_final_fragment_shows_the_outputs_and_the_final_actions(alice):
    job = make_job(alice, progress=1.0, step=12)
    output = add_output(job, seed=77)
    fragment = render_to_string("jobs/_job-live.html", {"job": job_state(job), "event": "job.finished"})
    ids = oob_ids(fragment)
    assert f"job-{job.pk}-outputs" in ids and f"job-{job.pk}-preview" in ids  # the preview is cleared
    # The link opens the original; the list shows a thumbnail, never the full PNG.
    thumbnail = f"/media/{output.pk}/thumbnail?size="
    assert f'<a href="/media/{output.pk}/file" class="job-output"><img src="{thumbnail}256"' in fragment
    assert f'srcset="{thumbnail}256 64w"' in fragment  # a 64-pixel image: its thumbnails are 64 wide
    assert 'alt="Output, seed 77"' in fragment
    assert 'value="100"' in fragment and "Retry" in fragment and "Delete" in fragment and ">Cancel<" not in fragment
