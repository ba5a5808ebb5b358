"""The home page: a signed-in user's starting point."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import home_overview


@login_required
def home_page(request: HttpRequest) -> HttpResponse:
    return render(request, "home/home.html", {"overview": home_overview(user=request.user)})
