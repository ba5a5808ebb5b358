"""The admin's name, in one place: every admin page says SEIDRA, not "Django administration"."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("SEIDRA administration")  # the banner of every page
admin.site.site_title = _("SEIDRA administration")  # the end of every <title>
admin.site.index_title = _("Site administration")  # the heading of the index page
