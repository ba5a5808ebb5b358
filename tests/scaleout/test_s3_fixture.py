"""The S3 test server is reached over HTTP by the same storage backend SEIDRA_STORAGE=s3 uses."""

import urllib.request

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def test_media_storage_writes_to_the_bucket_and_presigns_urls_that_expire(s3_server, s3_bucket):
    name = default_storage.save("outputs/1/hello.txt", ContentFile(b"hello bucket"))

    assert s3_server.keys(s3_bucket) == [name]
    url = default_storage.url(name)
    assert url.startswith(s3_server.endpoint_url) and "X-Amz-Expires=300" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"hello bucket"
    default_storage.delete(name)
    assert s3_server.keys(s3_bucket) == []
