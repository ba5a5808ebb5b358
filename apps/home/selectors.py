"""What the home page shows: the user's recent jobs and images, the engines' state, what to do next.

The home page sits above the feature apps (core never reads jobs or the catalog): it only composes
their selectors, and holds no query of its own.
"""

from dataclasses import dataclass

from redis.exceptions import RedisError

from apps.accounts.models import User
from apps.catalog.models import InstalledModel
from apps.catalog.selectors import default_model_name, model_list
from apps.core.health import LiveWorker, live_workers
from apps.gallery.models import Media
from apps.gallery.selectors import media_recent
from apps.jobs.models import Job
from apps.jobs.selectors import job_list

RECENT_JOBS = 5
RECENT_OUTPUTS = 8


@dataclass(frozen=True)
class Engines:
    workers: list[LiveWorker]
    redis_down: bool  # then whether a worker runs cannot be known
    models: list[InstalledModel]  # installed checkpoints
    default_model_name: str
    default_model: InstalledModel | None  # None when the default model is not installed


@dataclass(frozen=True)
class HomeOverview:
    recent_jobs: list[Job]
    recent_outputs: list[Media]
    engines: Engines

    @property
    def first_visit(self) -> bool:
        return not self.recent_jobs


def engines_state() -> Engines:
    try:
        workers, redis_down = live_workers(), False
    except RedisError:
        workers, redis_down = [], True
    models = list(model_list(kind="checkpoint"))
    name = default_model_name()
    return Engines(
        workers=workers,
        redis_down=redis_down,
        models=models,
        default_model_name=name,
        default_model=next((model for model in models if model.name == name), None),
    )


def home_overview(*, user: User) -> HomeOverview:
    return HomeOverview(
        recent_jobs=list(job_list(owner=user)[:RECENT_JOBS]),
        recent_outputs=media_recent(owner=user, limit=RECENT_OUTPUTS),
        engines=engines_state(),
    )
