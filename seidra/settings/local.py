"""`make run` and `manage.py` on a developer's or owner's box: DEBUG on, a secret kept under var/."""

import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR, env, finalize


def _persistent_local_secret_key() -> str:
    """A random key written once to var/secret_key, so sessions survive restarts without a shared default."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="") or _persistent_local_secret_key()

finalize(globals())
