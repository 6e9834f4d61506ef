"""URLs of the webhooks pages, under /webhooks/."""

from django.urls import path

from norma.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.webhook_list, name="list"),
    path("new/", views.webhook_create, name="create"),
    path("<int:pk>/", views.webhook_detail, name="detail"),
    path("<int:pk>/edit/", views.webhook_edit, name="edit"),
    path("<int:pk>/test/", views.webhook_test, name="test"),
    path("<int:pk>/rotate-secret/", views.webhook_rotate_secret, name="rotate_secret"),
    path("deliveries/", views.delivery_list, name="deliveries"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery"),
]
