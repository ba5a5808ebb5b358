"""The one normalisation of a typed username. Login matching and the lockout counters both use it,
so every spelling that can sign in as an account shares that account's failure count."""

import unicodedata


def username_key(raw: str) -> str:
    """`  BOB `, `bob` and `ｂｏｂ` (full-width) all give `bob`.

    NFKC folds compatibility characters (what Django's admin form does to a username), strip drops
    the spaces that allauth's form strips, casefold is the Unicode case-insensitive comparison.
    """
    return unicodedata.normalize("NFKC", raw).strip().casefold()
