from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {"SEIDRA_VERSION": settings.SEIDRA_VERSION, "SEIDRA_ALLOW_SIGNUP": settings.SEIDRA_ALLOW_SIGNUP}
