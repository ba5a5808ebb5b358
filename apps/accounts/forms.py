"""The account page's preferences form: the same choices as PUT /api/me/preferences."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NsfwDisplay


class PreferencesForm(forms.Form):
    nsfw_display = forms.ChoiceField(
        label=_("Images flagged as NSFW"),
        choices=NsfwDisplay.choices,
        widget=forms.RadioSelect,
        help_text=_("In the gallery, the jobs table and the job page. A moderator's approval clears the flag."),
    )
