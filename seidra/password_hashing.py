"""Argon2 on a few low-priority threads, so logins cannot starve the other requests of CPU.

One Argon2 check costs about 0.3-1 s of CPU (Django's parameters: 100 MiB, 2 passes). With views
on a thread pool (seidra/http_threads.py) several logins would hash at once and take every core,
and pages and API calls would wait behind them. Here each process hashes at most
SEIDRA_PASSWORD_HASH_THREADS passwords at a time, on threads with a lower CPU priority (nice 10,
Linux applies it per thread): the other requests keep their share, logins queue among themselves.

The algorithm name and the stored format are Argon2PasswordHasher's, so stored hashes are unchanged.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

# Added to the hashing threads' nice value: the scheduler weighs nice 10 about ten times below nice 0.
NICE_INCREMENT = 10

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE_INCREMENT)
    except (AttributeError, OSError):  # not Linux, or not permitted: hash at normal priority
        pass


def _hashing_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.SEIDRA_PASSWORD_HASH_THREADS,
                thread_name_prefix="seidra-hash",
                initializer=_lower_priority,
            )
        return _pool


class BoundedArgon2PasswordHasher(Argon2PasswordHasher):
    def encode(self, password, salt):
        return _hashing_pool().submit(super().encode, password, salt).result()

    def verify(self, password, encoded):
        return _hashing_pool().submit(super().verify, password, encoded).result()
