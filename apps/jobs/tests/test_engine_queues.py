"""Each engine has its own RQ queue: ComfyUI jobs wait on `comfyui`, served by a worker without torch."""

import subprocess
import sys
import textwrap

import pytest
from rq.worker import Worker

from apps.jobs import queueing
from apps.jobs.models import Job, JobStatus
from apps.jobs.selectors import job_queue_places
from tests.support.asgi_server import database_url_for_test_db
from tests.support.processes import child_env
from tests.support.workers import REPO_ROOT

PARAMETERS = {"prompt": "a lighthouse", "width": 64, "height": 64, "steps": 2}


def _queued(owner, engine: str) -> Job:
    job = Job.objects.create(owner=owner, parameters=PARAMETERS, total_steps=2, engine=engine)
    queueing.job_enqueue(job_id=str(job.pk), kind=job.kind, owner_id=owner.pk, running_owner_ids=[], engine=engine)
    return job


def _live_worker(name: str, queue_name: str) -> None:
    queue = queueing.job_queue(queue_name)
    Worker([queue], name=name, connection=queue.connection).register_birth()
    queueing.worker_alive_mark(name=name, ttl=60)


@pytest.mark.django_db(transaction=True)
def test_comfyui_jobs_wait_in_their_own_queue_and_count_only_its_jobs_and_workers(user_factory, redis_url):
    alice, bob = user_factory("alice"), user_factory("bob")
    bob_local = _queued(bob, "local")
    alice_local, alice_remote = _queued(alice, "local"), _queued(alice, "comfyui")

    assert queueing.queued_job_ids("gpu") == [str(bob_local.pk), str(alice_local.pk)]
    assert queueing.queued_job_ids("comfyui") == [str(alice_remote.pk)]

    # Bob's local job is ahead of Alice's local one only; a GPU worker does not serve ComfyUI jobs.
    _live_worker("gpu-1", "gpu")
    Job.objects.create(owner=bob, status=JobStatus.RUNNING, parameters=PARAMETERS, worker_name="gpu-1")
    places = job_queue_places(owner=alice)
    assert (places[str(alice_local.pk)].ahead, places[str(alice_local.pk)].live_workers) == (2, 1)
    assert (places[str(alice_remote.pk)].ahead, places[str(alice_remote.pk)].live_workers) == (0, 0)

    _live_worker("comfy-1", "comfyui")
    assert job_queue_places(owner=alice)[str(alice_remote.pk)].live_workers == 1

    # Cancelling takes the job off whichever queue holds it.
    assert queueing.job_dequeue(job_id=str(alice_remote.pk))
    assert queueing.queued_job_ids("comfyui") == []


def test_a_comfyui_worker_starts_and_runs_without_torch(redis_url, transactional_db, tmp_path):
    """`manage.py rqworker comfyui` on a host without torch: torch made unimportable, the worker
    registers, reports its servers as its device and ends its burst cleanly."""
    script = textwrap.dedent(
        """
        import sys

        class NoTorch:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "diffusers", "transformers"):
                    raise ImportError(f"{name} is not installed on this host")
                return None

        sys.meta_path.insert(0, NoTorch())
        import django

        django.setup()
        from django.core.management import call_command

        call_command("rqworker", "comfyui", "--burst", "--name", "comfy-no-torch")
        print("torch loaded:", "torch" in sys.modules)
        """
    )
    env = child_env(
        DJANGO_SETTINGS_MODULE="seidra.settings.test",
        DATABASE_URL=database_url_for_test_db(),
        REDIS_URL=redis_url,
        SEIDRA_MEDIA_ROOT=str(tmp_path),
        SEIDRA_COMFYUI_URL="http://127.0.0.1:9",
        SEIDRA_NSFW_DETECTOR="none",
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "torch loaded: False" in done.stdout
