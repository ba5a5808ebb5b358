"""The object-storage tests' S3 server: the same throw-away server the benchmarks use."""

from seidra.local_s3 import S3Server

__all__ = ["S3Server"]
