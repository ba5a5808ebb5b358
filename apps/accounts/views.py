"""The account's own pages (allauth serves sign-in and passwords): preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .forms import PreferencesForm
from .services import user_preferences_update


@login_required
def preferences_page(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, initial={"nsfw_display": request.user.nsfw_display})
    if request.method == "POST" and form.is_valid():
        user_preferences_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Preferences saved."))
        return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {"form": form})
