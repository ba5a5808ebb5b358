from django.urls import path

from .views import comfyui_refresh_action

app_name = "catalog"

urlpatterns = [
    path("comfyui-refresh", comfyui_refresh_action, name="comfyui-refresh"),
]
