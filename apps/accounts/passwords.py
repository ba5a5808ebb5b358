"""Password rules for the default admin and the generator used by rotation."""

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

# Seed section 3.4: these values are refused whatever their case.
BLOCKED_DEFAULT_PASSWORDS = ("demo", "password", "changeme")
MIN_DEFAULT_PASSWORD_LENGTH = 12

# No look-alike characters (0/o, 1/l/i), so a printed secret can be typed back without doubt.
_PASSPHRASE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_PASSPHRASE_GROUPS = 6
_PASSPHRASE_GROUP_LENGTH = 5


def default_password_problem(password: str, *, variable: str = "SEIDRA_DEFAULT_USER_PASSWORD") -> str | None:
    """One line naming the rule a candidate default-admin password breaks, or None when it is acceptable."""
    if password.lower() in BLOCKED_DEFAULT_PASSWORDS:
        return f"{variable} is a blocked value ({', '.join(BLOCKED_DEFAULT_PASSWORDS)}): choose another passphrase."
    if len(password) < MIN_DEFAULT_PASSWORD_LENGTH:
        return f"{variable} is shorter than {MIN_DEFAULT_PASSWORD_LENGTH} characters: choose a longer passphrase."
    try:
        validate_password(password)
    except ValidationError as error:
        return f"{variable} is refused: {' '.join(error.messages)}"
    return None


def passphrase_generate() -> str:
    """A random passphrase such as `k7qmz-r2d9x-...`: 6 groups of 5, about 148 bits from `secrets`."""
    groups = (
        "".join(secrets.choice(_PASSPHRASE_ALPHABET) for _ in range(_PASSPHRASE_GROUP_LENGTH))
        for _ in range(_PASSPHRASE_GROUPS)
    )
    return "-".join(groups)
