from django.urls import path

from .apis import PersonaDetailApi, PersonaListApi, PersonaReferenceApi

# `str`, not `uuid`: a malformed id reaches the selector and answers the same JSON 404 as another user's persona.
urlpatterns = [
    path("personas", PersonaListApi.as_view(), name="api-personas"),
    path("personas/<str:persona_id>", PersonaDetailApi.as_view(), name="api-persona-detail"),
    path("personas/<str:persona_id>/reference-image", PersonaReferenceApi.as_view(), name="api-persona-reference"),
]
