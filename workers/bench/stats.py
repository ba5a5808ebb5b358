"""The one percentile of the bench sections (the Locust file, run alone by locust, keeps its own copy)."""


def percentile(values: list[float], fraction: float) -> float:
    """The value at `fraction` (0.95 for p95) of the sorted values, nearest rank; values must not be empty."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
