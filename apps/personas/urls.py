from django.urls import path

from . import views

app_name = "personas"

# The list (/personas/) is a navigation section: seidra/page_urls.py.
urlpatterns = [
    path("new/", views.persona_create_page, name="create"),
    path("<uuid:persona_id>/edit/", views.persona_edit_page, name="edit"),
    path("<uuid:persona_id>/duplicate/", views.persona_duplicate_view, name="duplicate"),
    path("<uuid:persona_id>/delete/", views.persona_delete_page, name="delete"),
    path("<uuid:persona_id>/reference", views.persona_reference, name="reference"),
]
