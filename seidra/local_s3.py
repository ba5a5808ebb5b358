"""A throw-away S3-speaking HTTP server (tests and benchmarks): moto's standalone server
(`ThreadedMotoServer`, from requirements/dev.txt) on a free loopback port. boto3 talks to it over HTTP
exactly as it talks to MinIO or AWS S3 (signed requests, presigned URLs, multipart uploads); only the
data is in memory.
"""

import logging
import uuid

import boto3
from moto.server import ThreadedMotoServer

from .local_redis import free_port

ACCESS_KEY = "seidra-local-access"
SECRET_KEY = "seidra-local-secret-key"
REGION = "us-east-1"


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def start(self) -> "S3Server":
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not one log line per request
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def client(self):
        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=REGION,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        )  # fmt: skip

    def bucket_create(self, prefix: str = "seidra-test") -> str:
        """A new empty bucket (one per test: nothing leaks between tests); returns its name."""
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        """Every object name in the bucket, sorted."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def settings_for(self, bucket: str) -> dict:
        """SEIDRA_S3 for the bucket (settings.SEIDRA_S3 in this process)."""
        return {
            "endpoint_url": self.endpoint_url, "bucket_name": bucket, "region_name": REGION,
            "access_key": ACCESS_KEY, "secret_key": SECRET_KEY,
        }  # fmt: skip

    def env_for(self, bucket: str) -> dict[str, str]:
        """The environment of a web or worker process using the bucket, as an operator would set it."""
        return {
            "SEIDRA_STORAGE": "s3", "SEIDRA_S3_ENDPOINT_URL": self.endpoint_url, "SEIDRA_S3_BUCKET": bucket,
            "SEIDRA_S3_REGION": REGION, "SEIDRA_S3_ACCESS_KEY": ACCESS_KEY, "SEIDRA_S3_SECRET_KEY": SECRET_KEY,
        }  # fmt: skip
