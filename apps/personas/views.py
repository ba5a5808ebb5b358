from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def persona_list_page(request: HttpRequest) -> HttpResponse:
    from apps.core.views import SECTIONS

    return render(request, "core/section.html", {"section": SECTIONS["personas"], "section_name": "personas"})
