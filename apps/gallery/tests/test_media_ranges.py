"""Byte ranges of media files: a <video> asks for them to seek (Safari asks for nothing else), so the
file URL answers one range with 206, a range past the end with 416, and the rest with the whole file."""

import pytest

from apps.gallery.serving import byte_range_parse

from .helpers import VIDEO_BYTES, bearer, stored_video

SIZE = len(VIDEO_BYTES)


@pytest.fixture
def video(user_factory, tmp_path):
    owner = user_factory("owner")
    return owner, stored_video(owner, tmp_dir=tmp_path)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_the_whole_file_says_it_accepts_byte_ranges(video, client):
    owner, media = video
    response = client.get(f"/media/{media.pk}/file", **bearer(owner))
    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4" and _body(response) == VIDEO_BYTES


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-1", 0, 1), ("bytes=100-299", 100, 299), ("bytes=10000-", 10000, SIZE - 1),
     ("bytes=-240", SIZE - 240, SIZE - 1), ("bytes=9000-99999", 9000, SIZE - 1), ("bytes=-99999", 0, SIZE - 1)],
)  # fmt: skip
def test_one_range_is_a_206_with_exactly_those_bytes(video, client, header, first, last):
    owner, media = video
    response = client.get(f"/media/{media.pk}/file", HTTP_RANGE=header, **bearer(owner))
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "video/mp4"
    assert response["ETag"] and response["Cache-Control"].startswith("private")
    assert _body(response) == VIDEO_BYTES[first : last + 1]


@pytest.mark.django_db
def test_the_webm_part_seeks_too(video, client):
    owner, media = video
    response = client.get(f"/media/{media.pk}/file?part=webm", HTTP_RANGE="bytes=0-9", **bearer(owner))
    assert response.status_code == 206 and response["Content-Type"] == "video/webm"
    assert _body(response) == VIDEO_BYTES[::-1][:10]


@pytest.mark.django_db
@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 10}", "bytes=-0"])
def test_a_range_past_the_end_is_a_416_naming_the_size(video, client, header):
    owner, media = video
    response = client.get(f"/media/{media.pk}/file", HTTP_RANGE=header, **bearer(owner))
    assert response.status_code == 416 and response["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-1", "bytes=5-1", "bytes=x-3", "bytes=3"])
def test_several_ranges_or_a_malformed_header_get_the_whole_file(video, client, header):
    owner, media = video
    response = client.get(f"/media/{media.pk}/file", HTTP_RANGE=header, **bearer(owner))
    assert response.status_code == 200 and _body(response) == VIDEO_BYTES


@pytest.mark.django_db
def test_if_range_serves_the_range_only_while_the_file_is_the_same(video, client):
    owner, media = video
    etag = client.get(f"/media/{media.pk}/file", **bearer(owner))["ETag"]
    same = client.get(f"/media/{media.pk}/file", HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE=etag, **bearer(owner))
    assert same.status_code == 206 and _body(same) == VIDEO_BYTES[:4]
    changed = client.get(f"/media/{media.pk}/file", HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE='"old"', **bearer(owner))
    assert changed.status_code == 200 and _body(changed) == VIDEO_BYTES


@pytest.mark.django_db
def test_a_matching_etag_still_gets_304_with_a_range(video, client):
    owner, media = video
    etag = client.get(f"/media/{media.pk}/file", **bearer(owner))["ETag"]
    response = client.get(f"/media/{media.pk}/file", HTTP_RANGE="bytes=0-3", HTTP_IF_NONE_MATCH=etag, **bearer(owner))
    assert response.status_code == 304


@pytest.mark.django_db
def test_accelerated_sends_leave_ranges_to_the_web_server(video, client, settings):
    owner, media = video
    settings.SEIDRA_MEDIA_ACCEL, settings.SEIDRA_MEDIA_ACCEL_PREFIX = "nginx", "/protected-media/"
    response = client.get(f"/media/{media.pk}/file", HTTP_RANGE="bytes=0-3", **bearer(owner))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{media.file.name}"


def test_the_range_parser_reads_one_range_only():
    assert byte_range_parse("bytes=0-0", 1) == (0, 0)
    assert byte_range_parse("bytes = 2-", 5) == (2, 4)
    assert byte_range_parse("bytes=-3", 0) is False
    assert byte_range_parse("bytes=0-", 0) is False
    assert byte_range_parse("bytes=1-2, 4-5", 9) is None
