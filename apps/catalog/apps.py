from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    verbose_name = _("Models and LoRAs")

    def ready(self) -> None:
        from apps.core.health import health_check_register

        from .comfyui_health import comfyui_health
        from .sadtalker_health import sadtalker_health

        health_check_register("comfyui", comfyui_health)
        health_check_register("sadtalker", sadtalker_health)
