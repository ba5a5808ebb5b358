"""Video and audio media in the gallery: a video's cell shows its poster with a play mark and its
duration, its lightbox plays it (WebM first, then MP4, the poster until it plays) and says which
engine made it; an audio track plays in an <audio> player; the kind filter finds each."""

import re

import pytest

from apps.jobs.models import Job
from tests.support.auth import log_in

from .helpers import PASSWORD, stored_video


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def alice_client(client, alice):
    assert log_in(client, "alice", PASSWORD)
    return client


@pytest.fixture
def video(alice, tmp_path):
    return stored_video(alice, prompt="a sailor sings", duration=3.0, tmp_dir=tmp_path)


def cell_of(page: str, media_id) -> str:
    match = re.search(rf'<figure id="media-cell-{media_id}".*?</figure>', page, re.S)
    assert match, "no cell for the media"
    return match.group(0)


@pytest.mark.django_db
def test_a_video_cell_shows_its_poster_a_play_mark_and_its_duration(alice_client, video):
    cell = cell_of(alice_client.get("/gallery/").content.decode(), video.id)
    assert f"/media/{video.id}/thumbnail?size=256" in cell  # made from the poster
    assert "play-mark" in cell and 'data-testid="media-duration">3.0 s<' in cell


@pytest.mark.django_db
def test_the_lightbox_plays_the_video_webm_first_with_its_poster_and_engine(alice_client, video):
    page = alice_client.get(f"/media/{video.id}/lightbox").content.decode()
    player = re.search(r'<video[^>]*data-testid="lightbox-video".*?</video>', page, re.S).group(0)
    assert 'controls preload="metadata"' in player
    assert f'poster="/media/{video.id}/file?part=poster"' in player
    sources = re.findall(r'<source src="([^"]+)" type="([^"]+)"', player)
    assert sources == [(f"/media/{video.id}/file?part=webm", "video/webm"), (f"/media/{video.id}/file", "video/mp4")]
    assert "approximate mouth motion, not neural lip-sync" in page
    assert 'data-testid="lightbox-duration">3.0 s<' in page
    assert "Download MP4" in page and "Download WebM" in page and "Remix" not in page
    # Each source it names is served, with its type.
    assert alice_client.get(f"/media/{video.id}/file?part=webm")["Content-Type"] == "video/webm"
    assert alice_client.get(f"/media/{video.id}/file?part=poster")["Content-Type"] == "image/jpeg"


@pytest.mark.django_db
def test_the_audio_track_is_kept_as_its_own_media_and_plays_in_an_audio_player(alice_client, video):
    audio = Job.objects.get(pk=video.job_id).outputs.get(kind="audio")
    cell = cell_of(alice_client.get("/gallery/").content.decode(), audio.id)
    assert "audio-placeholder" in cell and "3.0 s" in cell
    page = alice_client.get(f"/media/{audio.id}/lightbox").content.decode()
    assert re.search(rf'<audio controls preload="metadata" src="/media/{audio.id}/file"', page)
    assert alice_client.get(f"/media/{audio.id}/file")["Content-Type"] == "audio/wav"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["video", "audio"])
def test_the_kind_filter_finds_videos_and_audio_tracks(alice_client, alice, video, kind):
    from .helpers import stored_media

    image = stored_media(alice, prompt="a lighthouse")
    page = alice_client.get(f"/gallery/?kind={kind}").content.decode()
    found = re.findall(r'id="media-cell-([0-9a-f-]{36})"', page)
    expected = Job.objects.get(pk=video.job_id).outputs.get(kind=kind)
    assert found == [str(expected.id)] and str(image.id) not in found


@pytest.mark.django_db
def test_a_french_reader_sees_the_video_in_french(alice_client, video):
    alice_client.cookies["django_language"] = "fr"
    page = alice_client.get(f"/media/{video.id}/lightbox", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Télécharger le MP4" in page and "3,0 s" in page


@pytest.mark.django_db
def test_the_content_security_policy_lets_pages_play_their_own_media(alice_client, video):
    """media-src falls back to default-src: 'self' either way, and nothing inline."""
    policy = dict(
        part.strip().split(" ", 1)
        for part in alice_client.get(f"/media/{video.id}/lightbox")["Content-Security-Policy"].split(";")
        if part.strip()
    )
    assert "'self'" in policy.get("media-src", policy["default-src"]).split()
    assert "'unsafe-inline'" not in policy.get("media-src", policy["default-src"])


@pytest.mark.django_db
def test_a_shared_video_plays_for_a_visitor_and_seeks(alice, video):
    from django.test import Client

    from apps.gallery.sharing import share_link_create, share_link_url

    from .helpers import VIDEO_BYTES

    url = share_link_url(share_link_create(media=video, user=alice))
    visitor = Client()
    page = visitor.get(url).content.decode()
    [source] = re.findall(r'<video controls preload="metadata" playsinline src="([^"]+)"', page)
    part = visitor.get(source, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and part["Content-Type"] == "video/mp4"
    assert b"".join(part.streaming_content) == VIDEO_BYTES[10:20]
