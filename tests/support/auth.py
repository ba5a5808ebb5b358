"""Signing in as a person does (the real login page), and as a script does (a Bearer token)."""

from rest_framework.test import APIClient

from apps.accounts.services import access_token_create


def log_in(client, username: str, password: str) -> bool:
    """POST the login form (axes needs a request, so Client.login() cannot be used); True on success."""
    response = client.post("/accounts/login/", {"login": username, "password": password})
    return response.status_code == 302 and "/accounts/login/" not in response["Location"]


def api_client_for(user) -> APIClient:
    """An API client sending `user`'s access token, as a script does."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_create(username=user.username, hours=1)}")
    return client
