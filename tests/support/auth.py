"""Signing in as a person does, through the real login page."""


def log_in(client, username: str, password: str) -> bool:
    """POST the login form (axes needs a request, so Client.login() cannot be used); True on success."""
    response = client.post("/accounts/login/", {"login": username, "password": password})
    return response.status_code == 302 and "/accounts/login/" not in response["Location"]
