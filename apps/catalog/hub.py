"""Downloads from the Hugging Face Hub into a staging directory, and one actionable line when they fail.

huggingface_hub reads HF_TOKEN, HF_HOME / HF_HUB_CACHE, HF_ENDPOINT and HTTPS_PROXY itself. Only the
listed files are fetched; downloads resume after an interruption (huggingface_hub keeps partial
files under <staging>/.cache/huggingface) and show tqdm progress bars on stderr.
"""

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from django.utils.translation import gettext as _

from apps.core.errors import SeidraError

# huggingface_hub (and its HTTP client httpx2) are imported inside the functions: a web process
# that never downloads does not pay for them at start-up.

# Listing a repo is a small request; a dead proxy should fail in seconds, not hang.
API_TIMEOUT_S = 30
# Room left on the disk beyond the files themselves (filesystem overhead, logs, the database).
DISK_MARGIN_BYTES = 512 * 1024**2
_REASON_MAX = 160


def hub_fetch(
    *, repo_id: str, files: Sequence[str], staging: Path, offline: bool, token: str | None, fallback: str
) -> None:
    """Put `files` of `repo_id` (repo paths kept) under `staging`.

    Online: list the repo first (fails fast when the Hub is unreachable, names files the repo
    lacks, checks the disk has room), then snapshot_download into `staging`. Offline: only the
    local Hugging Face cache is read, and its files are hard-linked (or copied) into `staging`.
    `fallback` ends the unreachable message: what to do without a network.
    """
    staging.mkdir(parents=True, exist_ok=True)
    try:
        if offline:
            _fetch_from_cache(repo_id=repo_id, files=files, staging=staging)
        else:
            _fetch_online(repo_id=repo_id, files=files, staging=staging, token=token)
    except SeidraError:
        raise
    except Exception as error:  # noqa: BLE001 - every failure becomes one line a person can act on
        message = hub_error_message(error, repo_id=repo_id, offline=offline, fallback=fallback)
        if message is None and isinstance(error, OSError):
            message = _("Cannot write the files of %(repo)s under %(dir)s: %(reason)s.") % {
                "repo": repo_id,
                "dir": staging.parent,
                "reason": error.strerror or _one_line(error),
            }
        if message is None:
            raise
        raise SeidraError(message, status=502) from None


def _fetch_online(*, repo_id: str, files: Sequence[str], staging: Path, token: str | None) -> None:
    from huggingface_hub import HfApi, snapshot_download

    info = HfApi(token=token).model_info(repo_id, files_metadata=True, timeout=API_TIMEOUT_S)
    sizes = {sibling.rfilename: sibling.size or 0 for sibling in info.siblings or []}
    absent = [name for name in files if name not in sizes]
    if absent:
        raise SeidraError(
            _("%(repo)s has no file named %(files)s: check the file name on the model's page.")
            % {"repo": repo_id, "files": ", ".join(absent)},
            status=404,
        )
    needed = sum(sizes[name] for name in files if not _complete(staging / name, sizes[name]))
    free = shutil.disk_usage(staging).free
    if needed + DISK_MARGIN_BYTES > free:
        raise SeidraError(
            _("Not enough disk space for %(repo)s: %(needed)s needed, %(free)s free in %(dir)s.")
            % {"repo": repo_id, "needed": _gb(needed), "free": _gb(free), "dir": staging.parent},
            status=507,
        )
    # The commit hash pins every file to the listing just checked and skips a second lookup.
    snapshot_download(repo_id, revision=info.sha, allow_patterns=list(files), local_dir=staging, token=token)


def _fetch_from_cache(*, repo_id: str, files: Sequence[str], staging: Path) -> None:
    from huggingface_hub import snapshot_download

    # snapshot_download with local_dir would only look in local_dir: read the cache, then link.
    snapshot = Path(snapshot_download(repo_id, allow_patterns=list(files), local_files_only=True))
    for name in files:
        source = snapshot / name
        if not source.exists():
            continue  # reported by the verification, with the other missing files
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        try:
            os.link(source.resolve(), target)  # the cache's blob: no second copy on disk
        except OSError:
            shutil.copyfile(source, target)


def _complete(path: Path, size: int) -> bool:
    return path.is_file() and path.stat().st_size == size


def _gb(size: int) -> str:
    return f"{size / 1024**3:.1f} GB"


def hub_error_message(error: BaseException, *, repo_id: str, offline: bool, fallback: str) -> str | None:
    """One line for a download failure, or None when it is not a Hub or network problem."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    chain = _causes(error)
    if offline and any(isinstance(e, LocalEntryNotFoundError) for e in chain):
        return _(
            "Cannot install %(repo)s offline: it is not in the local Hugging Face cache (%(cache)s). "
            "Download it where the Hub is reachable, %(hint)s"
        ) % {
            "repo": repo_id,
            "cache": constants.HF_HUB_CACHE,
            "hint": fallback,
        }
    reason = _network_reason(chain)
    if reason is not None:
        return _(
            "Cannot download %(repo)s: the Hugging Face Hub is unreachable (%(reason)s). "
            "Check your network or HTTPS_PROXY, %(hint)s"
        ) % {"repo": repo_id, "reason": reason, "hint": fallback}
    http = next((e for e in chain if isinstance(e, HfHubHTTPError)), None)
    if http is None:
        return None
    status = http.response.status_code if http.response is not None else 0
    if isinstance(http, GatedRepoError) or status in (401, 403):
        return _(
            "Cannot download %(repo)s: access refused (HTTP %(status)s). Accept its licence on huggingface.co, "
            "then set HF_TOKEN to a token of that account."
        ) % {"repo": repo_id, "status": status}
    if isinstance(http, RepositoryNotFoundError | RevisionNotFoundError) or status == 404:
        return _(
            "Cannot download %(repo)s: no such repository on the Hub (check the id; a private one needs HF_TOKEN)."
        ) % {"repo": repo_id}
    return _("Cannot download %(repo)s: the Hub answered HTTP %(status)s. Try again later, %(hint)s") % {
        "repo": repo_id,
        "status": status,
        "hint": fallback,
    }


def _network_reason(chain: list[BaseException]) -> str | None:
    import httpx2
    from huggingface_hub.errors import OfflineModeIsEnabled

    for error in chain:
        if isinstance(error, OfflineModeIsEnabled):
            return _("HF_HUB_OFFLINE is set")
        if isinstance(error, httpx2.ProxyError):
            return _("proxy error: %(detail)s") % {"detail": _one_line(error)}
        if isinstance(error, httpx2.TimeoutException):
            return _("timed out")
        if isinstance(error, httpx2.TransportError):
            return _one_line(error)
    return None


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= _REASON_MAX else text[: _REASON_MAX - 1] + "…"
