from django.urls import path  # noqa: F401

app_name = "personas"

# The list (/personas/) is a navigation section: seidra/page_urls.py.
urlpatterns: list = []
