from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list_page, name="list"),
    path("area", views.notification_area, name="area"),
    path("<int:notification_id>/dismiss", views.notification_dismiss_view, name="dismiss"),
    path("dismiss-all", views.notification_dismiss_all_view, name="dismiss-all"),
]
