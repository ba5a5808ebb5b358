"""The Jobs list of the admin, as staff use it: what each job is, whose, how it went; filters and
search that find one; no "Add job" (a row typed in by hand would never run)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.jobs.models import Job, JobStatus

CHANGELIST = "/admin/jobs/job/"
LONG_PROMPT = "a lighthouse at dusk above a stormy sea, " * 5


@pytest.fixture
def staff_client(client, user_factory):
    client.force_login(user_factory("root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def jobs(user_factory):
    alice, bob = user_factory("alice"), user_factory("bob")
    start = timezone.now() - timedelta(minutes=5)
    done = Job.objects.create(
        owner=alice, status=JobStatus.SUCCEEDED, parameters={"prompt": LONG_PROMPT, "model": "seidra-tiny-sdxl"},
        started=start, finished=start + timedelta(seconds=12.5),
    )  # fmt: skip
    waiting = Job.objects.create(owner=bob, parameters={"prompt": "a red fox in the snow", "model": "sdxl-base-1.0"})
    return done, waiting


def result_rows(response) -> str:
    page = response.content.decode()
    return page[page.index('id="result_list"') :]


@pytest.mark.django_db
def test_the_jobs_list_shows_prompt_owner_status_kind_model_created_and_duration(staff_client, jobs):
    done, _waiting = jobs
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    headers = [column for column in response.context["cl"].list_display if column != "action_checkbox"]
    assert headers == ["prompt", "owner", "status", "kind", "model", "created", "duration"]
    rows = result_rows(response)
    assert LONG_PROMPT[:50] in rows and LONG_PROMPT not in rows  # truncated
    assert "alice" in rows and "bob" in rows
    assert "Succeeded" in rows and "Queued" in rows
    assert "seidra-tiny-sdxl" in rows and "sdxl-base-1.0" in rows
    assert "12.5 s" in rows


@pytest.mark.django_db
def test_filters_by_status_kind_model_and_date_and_search_by_prompt_owner_and_id(staff_client, jobs):
    done, waiting = jobs
    filters = [spec.title for spec in staff_client.get(CHANGELIST).context["cl"].filter_specs]
    assert [str(title) for title in filters] == ["status", "kind", "model", "created"]

    def found(query: str) -> list[Job]:
        return list(staff_client.get(CHANGELIST + query).context["cl"].result_list)

    assert found("?status__exact=SUCCEEDED") == [done]
    assert found("?model=sdxl-base-1.0") == [waiting]
    assert found("?q=stormy") == [done]
    assert found("?q=bob") == [waiting]
    assert found(f"?q={done.pk}") == [done]


@pytest.mark.django_db
def test_no_job_is_added_or_edited_by_hand(staff_client, jobs):
    done, _waiting = jobs
    page = staff_client.get(CHANGELIST).content.decode()
    assert "/admin/jobs/job/add/" not in page and "Add job" not in page
    assert staff_client.get("/admin/jobs/job/add/").status_code == 403
    change = staff_client.get(f"/admin/jobs/job/{done.pk}/change/")
    assert change.status_code == 200
    form = change.context["adminform"].form
    assert not {"status", "worker_name", "parameters", "progress", "owner"} & set(form.fields)
