"""Bringing a character to life in a real browser with a real worker: the Create page's panel takes
the astronaut photo and a generated speech track, the browser refuses a duration out of bounds before
sending, the job shows QUEUED and then its stages live, and its video plays, with the requested
duration, in Recent jobs, the jobs table and the gallery's lightbox (the WebM first: Debian's
Chromium has no H.264 decoder, Safari takes the MP4)."""

import pytest
from playwright.sync_api import expect

from apps.jobs.models import Job, JobStatus
from tests.support.video_inputs import astronaut_png, speech_wav

from .test_generation_page import sign_in, wait_for_socket

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]  # a worker's start and a video on two busy cores
PASSWORD = "a-long-test-passphrase"
SECONDS = 3.0
SLOW = 600_000  # ms: the worker imports torch, then detects, animates and encodes on a loaded CPU
LIVE_WORKER_ENV = {"SEIDRA_PROGRESS_EVENTS_PER_SECOND": "1000"}

# Records what the page showed between two checks: a short video passes its stages faster than a poll.
WATCH = """() => {
  window.seen = { statuses: new Set(), stages: new Set() };
  const record = () => {
    document.querySelectorAll('.job-item [data-status]').forEach((el) => window.seen.statuses.add(el.dataset.status));
    document.querySelectorAll('.job-item .job-stage').forEach((el) => window.seen.stages.add(el.textContent.trim()));
  };
  record();
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""

# Once the <video> under `selector` has read its metadata: what it plays, and for how long. Read in the
# same call as the check: a live update may swap the row for a fresh copy whose video loads again.
PLAYED_ONCE_PLAYABLE = """(selector) => {
  const video = document.querySelector(selector);
  if (!video || video.readyState < 1 || !Number.isFinite(video.duration)) return null;
  return { duration: video.duration, source: video.currentSrc, error: video.error && video.error.code };
}"""
# The MP4 alone, in a player of its own: Safari's source, and Chromium's when it has H.264.
MP4_ALONE = """(url) => new Promise((resolve) => {
  const video = document.createElement('video');
  video.preload = 'metadata';
  video.onloadedmetadata = () => resolve({ duration: video.duration });
  video.onerror = () => resolve({ error: video.error && video.error.code });
  video.src = url;
})"""


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


def assert_plays(page, selector: str) -> str:
    """The video under `selector` loads its metadata and lasts the requested duration; its source."""
    played = page.wait_for_function(PLAYED_ONCE_PLAYABLE, arg=selector, timeout=60_000).json_value()
    assert played["error"] is None, played
    assert abs(played["duration"] - SECONDS) <= 0.1, played
    return played["source"]


def test_a_character_comes_to_life_from_the_panel(page, live_url, alice, worker_process, tmp_path):
    image, track = astronaut_png(tmp_path / "astronaut.png"), speech_wav(tmp_path / "voice.wav", seconds=SECONDS)
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    sign_in(page, live_url, "/create/")
    wait_for_socket(page)
    panel = page.get_by_test_id("video-panel")
    expect(panel.get_by_role("heading", name="Bring characters to life")).to_be_visible()
    expect(panel.get_by_test_id("video-engine-label")).to_contain_text("approximate mouth motion, not neural lip-sync")

    panel.get_by_label("Video prompt").fill("an astronaut greets the crew, smiling")
    panel.get_by_label("Character image").set_input_files(str(image))
    panel.get_by_label("Audio track").set_input_files(str(track))
    # The browser refuses a duration out of bounds before sending anything.
    duration = panel.get_by_label("Duration (seconds)")
    duration.fill("31")
    panel.get_by_role("button", name="Make the video").click()
    assert duration.evaluate("(input) => input.validity.rangeOverflow")
    assert not Job.objects.exists()

    duration.fill(str(SECONDS))
    page.evaluate(WATCH)
    panel.get_by_role("button", name="Make the video").click()
    expect(panel.get_by_role("status")).to_contain_text("Video job queued.")
    card = page.locator("#recent-jobs .job-card").first
    expect(card).to_contain_text("an astronaut greets the crew")
    expect(card.locator("[data-status]")).to_have_text("Queued")  # no worker yet: it waits

    worker = worker_process("w1", **LIVE_WORKER_ENV)
    worker.wait_registered(timeout=120)
    expect(card.locator("[data-status]")).to_have_text("Succeeded", timeout=SLOW)
    seen = page.evaluate("() => ({ statuses: [...window.seen.statuses], stages: [...window.seen.stages] })")
    assert {"QUEUED", "RUNNING", "SUCCEEDED"} <= set(seen["statuses"]), seen
    assert {"Preparing the image", "Lip-sync", "Encoding"} <= set(seen["stages"]), seen

    job = Job.objects.get(owner=alice)
    assert job.status == JobStatus.SUCCEEDED
    video = job.outputs.get(kind="video")
    source = assert_plays(page, f"#job-card-{job.id} video")
    assert source.endswith(f"/media/{video.id}/file?part=webm")  # Chromium plays the VP9 WebM
    expect(card.get_by_test_id("video-engine-label")).to_contain_text("approximate mouth motion")
    expect(card.get_by_test_id("job-audio-player")).to_be_visible()

    page.goto(f"{live_url}/jobs/")
    assert_plays(page, f"#job-row-{job.id} video")
    mp4 = page.evaluate(MP4_ALONE, f"/media/{video.id}/file")
    assert abs(mp4.get("duration", 0) - SECONDS) <= 0.1, mp4

    page.goto(f"{live_url}/gallery/?kind=video")
    cell = page.locator(f"#media-cell-{video.id}")
    expect(cell.get_by_test_id("media-duration")).to_have_text("3.0 s")
    cell.locator("a.gallery-open").click()
    expect(page.get_by_test_id("lightbox-video")).to_be_visible()
    assert_plays(page, "[data-testid=lightbox-video]")
    # Seeking asks the server for a byte range, which it answers (206): the video moves there.
    lightbox_video = "document.querySelector('[data-testid=lightbox-video]')"
    page.evaluate(f"() => {{ {lightbox_video}.currentTime = 2.5; }}")
    page.wait_for_function(f"() => !{lightbox_video}.seeking && {lightbox_video}.currentTime > 2")
    assert not violations, violations
