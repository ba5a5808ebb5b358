from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "apps.jobs"
    label = "jobs"
    verbose_name = _("Generation jobs")

    def ready(self) -> None:
        from .metrics_state import job_state_collector_register

        job_state_collector_register()
