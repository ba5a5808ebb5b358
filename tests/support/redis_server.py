"""The test session's Redis: the same throw-away server the benchmarks use."""

from seidra.local_redis import RedisServer, free_port

__all__ = ["RedisServer", "free_port"]
