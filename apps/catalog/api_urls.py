from django.urls import path

from .apis import ModelListApi

urlpatterns = [
    path("models", ModelListApi.as_view(), name="api-models"),
]
