"""`/ws/jobs/` through the real ASGI stack (origin check, session/JWT auth), with the real worker."""

import asyncio
import io

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from PIL import Image

from apps.accounts.services import access_token_create
from apps.gallery.png_metadata import png_parameters_read
from apps.jobs.models import JobStatus
from apps.jobs.services import job_create
from tests.support.workers import burst_worker_run

# What a browser on http://localhost sends: the origin check compares the two (apps/core/ws_origin.py).
HOST = (b"host", b"localhost")
ORIGIN = (b"origin", b"http://localhost")
PARAMETERS = {"prompt": "a lighthouse at dusk", "width": 64, "height": 64, "steps": 6, "seed": 1234}


def application():
    from seidra.asgi import application

    return application


def bearer(user) -> tuple[bytes, bytes]:
    return (b"authorization", f"Bearer {access_token_create(username=user.username, hours=1)}".encode())


async def connect(*headers, path: str = "/ws/jobs/") -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application(), path, headers=[HOST, *headers])
    connected, code = await communicator.connect(timeout=5)
    assert connected, f"refused with close code {code}"
    return communicator


async def events_until_final(communicator: WebsocketCommunicator, job_id: str, timeout: float = 60) -> list[dict]:
    events = []
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message.get("job", {}).get("id") != job_id:
            continue
        events.append(message)
        if message["type"] == "job.finished":
            return events


@pytest.fixture
def every_step(settings):
    # Unthrottled, so the test sees each step (throttling has its own test below).
    settings.SEIDRA_PROGRESS_EVENTS_PER_SECOND = 10_000
    settings.SEIDRA_PREVIEW_EVERY = 2


@pytest.mark.django_db(transaction=True)
async def test_api_submit_streams_ordered_progress_then_final_event_and_png(tiny_model, user_factory, every_step):
    user = await sync_to_async(user_factory)()
    communicator = await connect(ORIGIN, await sync_to_async(bearer)(user))
    assert (await communicator.receive_json_from())["type"] == "jobs.snapshot"

    from rest_framework.test import APIClient

    def submit():
        client = APIClient()
        client.force_authenticate(user)
        return client.post("/api/generation/image", PARAMETERS, format="json")

    response = await sync_to_async(submit)()
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    await asyncio.to_thread(burst_worker_run)
    events = await events_until_final(communicator, job_id)
    await communicator.disconnect()

    kinds = [event["type"] for event in events]
    assert kinds[0] == "job.queued" and kinds[1] == "job.started" and kinds[-1] == "job.finished"
    steps = [event["job"]["step"] for event in events if event["type"] == "job.progress"]
    assert steps == [1, 2, 3, 4, 5, 6]
    assert all(event["job"]["eta"] >= 0 for event in events if event["type"] == "job.progress")
    previews = [event["job"]["step"] for event in events if "preview" in event["job"]]
    assert previews == [2, 4, 6]
    preview = events[kinds.index("job.progress") + 1]["job"]["preview"]
    assert preview.startswith("data:image/jpeg;base64,")

    final = events[-1]["job"]
    assert final["status"] == JobStatus.SUCCEEDED and final["progress"] == 1
    [output] = final["outputs"]
    assert (output["width"], output["height"], output["seed"]) == (64, 64, 1234)

    def stored_png():
        from apps.gallery.models import Media

        media = Media.objects.get(pk=output["id"])
        return media.file.read(), media

    data, media = await sync_to_async(stored_png)()
    assert Image.open(io.BytesIO(data)).size == (64, 64)
    metadata = png_parameters_read(data)
    assert metadata["parameters"].startswith("a lighthouse at dusk\n")
    assert (
        "Steps: 6, Sampler: Euler a, CFG scale: 7.0, Seed: 1234, Size: 64x64, Model: seidra-tiny-sdxl"
        in (metadata["parameters"])
    )
    assert metadata["seidra"]["seed"] == 1234 and metadata["seidra"]["job"] == job_id
    assert media.owner_id == user.pk


@pytest.mark.django_db(transaction=True)
async def test_a_user_receives_only_events_of_their_own_jobs(tiny_model, user_factory, every_step):
    alice = await sync_to_async(user_factory)("alice")
    bob = await sync_to_async(user_factory)("bob")
    alice_socket = await connect(ORIGIN, await sync_to_async(bearer)(alice))
    bob_socket = await connect(ORIGIN, await sync_to_async(bearer)(bob))
    await alice_socket.receive_json_from()
    await bob_socket.receive_json_from()

    alice_job = await sync_to_async(job_create)(owner=alice, parameters=PARAMETERS)
    bob_job = await sync_to_async(job_create)(owner=bob, parameters=PARAMETERS)
    await asyncio.to_thread(burst_worker_run)
    await events_until_final(alice_socket, str(alice_job.pk))
    bob_events = await events_until_final(bob_socket, str(bob_job.pk))

    seen_by_bob = {event["job"]["id"] for event in bob_events}
    while not await bob_socket.receive_nothing(timeout=0.3):
        seen_by_bob.add((await bob_socket.receive_json_from())["job"]["id"])
    assert seen_by_bob == {str(bob_job.pk)}

    # Asking for Alice's job by id is answered as if it did not exist.
    bob_token = await sync_to_async(bearer)(bob)
    spy = WebsocketCommunicator(application(), f"/ws/jobs/?job={alice_job.pk}", headers=[HOST, ORIGIN, bob_token])
    connected, code = await spy.connect(timeout=5)
    assert not connected and code == 4404
    await spy.disconnect()
    await alice_socket.disconnect()
    await bob_socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_foreign_origin_anonymous_and_query_string_tokens_are_refused(user_factory):
    user = await sync_to_async(user_factory)()
    token_header = await sync_to_async(bearer)(user)

    evil = (b"origin", b"http://evil.example")
    foreign = WebsocketCommunicator(application(), "/ws/jobs/", headers=[HOST, evil, token_header])
    connected, _ = await foreign.connect(timeout=5)
    assert not connected
    await foreign.disconnect()

    anonymous = WebsocketCommunicator(application(), "/ws/jobs/", headers=[HOST, ORIGIN])
    connected, code = await anonymous.connect(timeout=5)
    assert not connected and code == 4401
    await anonymous.disconnect()

    token = token_header[1].decode().removeprefix("Bearer ")
    in_query = WebsocketCommunicator(application(), f"/ws/jobs/?token={token}", headers=[HOST, ORIGIN])
    connected, code = await in_query.connect(timeout=5)
    assert not connected and code == 4401
    await in_query.disconnect()

    bad_token = WebsocketCommunicator(
        application(), "/ws/jobs/", headers=[HOST, ORIGIN, (b"authorization", b"Bearer nope")]
    )
    connected, code = await bad_token.connect(timeout=5)
    assert not connected and code == 4401
    await bad_token.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_reconnecting_client_resumes_from_the_database(tiny_model, user_factory):
    user = await sync_to_async(user_factory)()
    job = await sync_to_async(job_create)(owner=user, parameters=PARAMETERS)
    await asyncio.to_thread(burst_worker_run)  # finishes while nobody listens: its events are gone

    communicator = await connect(ORIGIN, await sync_to_async(bearer)(user))
    snapshot = await communicator.receive_json_from()
    assert snapshot["type"] == "jobs.snapshot"
    [state] = snapshot["jobs"]
    assert state["id"] == str(job.pk) and state["status"] == JobStatus.SUCCEEDED and len(state["outputs"]) == 1

    # One job's stream: its snapshot first.
    await communicator.send_json_to({"type": "jobs.snapshot"})
    assert (await communicator.receive_json_from())["jobs"][0]["id"] == str(job.pk)
    await communicator.disconnect()
    single = await connect(ORIGIN, await sync_to_async(bearer)(user), path=f"/ws/jobs/?job={job.pk}")
    assert [state["id"] for state in (await single.receive_json_from())["jobs"]] == [str(job.pk)]
    await single.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_idle_socket_still_receives_events_after_the_redis_read_timeout(user_factory):
    # redis-py 8 times reads out after 5 s by default, as long as the channel layer's blocking
    # pop: without the layer's own socket_timeout the consumer died after 5 idle seconds.
    from channels.layers import get_channel_layer

    from apps.jobs.events import event_message, user_jobs_group

    user = await sync_to_async(user_factory)()
    communicator = await connect(ORIGIN, await sync_to_async(bearer)(user))
    await communicator.receive_json_from()
    await asyncio.sleep(7)
    state = {"id": "00000000-0000-0000-0000-000000000001", "status": "RUNNING", "step": 3}
    message = event_message("job.progress", state, owner_id=user.pk)
    await get_channel_layer().group_send(user_jobs_group(user.pk), message)
    assert (await communicator.receive_json_from(timeout=5))["job"]["step"] == 3
    await communicator.disconnect()


async def next_of_type(communicator: WebsocketCommunicator, kind: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=10)
        if message["type"] == kind:
            return message


def places_of(message: dict) -> dict[str, tuple]:
    jobs = message.get("jobs") or [message["job"]]
    return {job["id"]: (job["queue_position"], job["jobs_ahead"]) for job in jobs}


@pytest.mark.django_db(transaction=True)
async def test_users_with_queued_jobs_hear_their_places_move_with_the_queue(tiny_model, user_factory):
    from apps.jobs.services import job_cancel

    alice, bob = await sync_to_async(user_factory)("alice"), await sync_to_async(user_factory)("bob")
    a1 = await sync_to_async(job_create)(owner=alice, parameters=PARAMETERS)
    a2 = await sync_to_async(job_create)(owner=alice, parameters=PARAMETERS)
    as_alice = await connect(ORIGIN, await sync_to_async(bearer)(alice))
    snapshot = await as_alice.receive_json_from()
    assert places_of(snapshot) == {str(a1.pk): (1, 0), str(a2.pk): (2, 1)}
    assert {job["live_workers"] for job in snapshot["jobs"]} == {0}  # no worker runs in this test
    as_bob = await connect(ORIGIN, await sync_to_async(bearer)(bob))
    assert (await as_bob.receive_json_from())["jobs"] == []

    # Bob's first job goes before alice's second (round-robin): her page hears it, not who it was.
    b1 = await sync_to_async(job_create)(owner=bob, parameters=PARAMETERS)
    assert places_of(await next_of_type(as_bob, "job.queued")) == {str(b1.pk): (1, 1)}
    assert places_of(await next_of_type(as_alice, "jobs.queue")) == {str(a1.pk): (1, 0), str(a2.pk): (2, 2)}

    await sync_to_async(job_cancel)(job=a1)
    assert places_of(await next_of_type(as_alice, "jobs.queue")) == {str(a2.pk): (1, 1)}
    assert places_of(await next_of_type(as_bob, "jobs.queue")) == {str(b1.pk): (1, 0)}
    await as_alice.disconnect()
    await as_bob.disconnect()
