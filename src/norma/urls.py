from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from norma.api.urls import api
from norma.core.views import account, pages

handler403 = "norma.core.views.errors.forbidden"
handler404 = "norma.core.views.errors.not_found"
handler500 = "norma.core.views.errors.server_error"

urlpatterns = [
    path("", pages.home, name="home"),
    path("search/", pages.search, name="search"),
    path("healthz", pages.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(success_url="/account/password/done/"),
        name="password_change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "account/set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url="/login/"),
        name="password_set",
    ),
    path("account/two-factor/", account.two_factor, name="two_factor"),
    path("account/security/", account.security, name="security"),
    path("account/tokens/<int:pk>/revoke/", account.revoke_token, name="revoke_token"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("norma.core.urls")),
    path("standards/", include("norma.standards.urls")),
    path("planning/", include("norma.planning.urls")),
    path("people/", include("norma.people.urls")),
    path("improvement/", include("norma.improvement.urls")),
    path("operations/", include("norma.operations.urls")),
    path("audits/", include("norma.audits.urls")),
    path("reviews/", include("norma.reviews.urls")),
    path("certification/", include("norma.certification.urls")),
    path("documents/", include("norma.documents.urls")),
    path("jobs/", include("norma.jobs.urls")),
    path("notifications/", include("norma.notifications.urls")),
    path("webhooks/", include("norma.webhooks.urls")),
    path("reports/", include("norma.reports.urls")),
    path("data/", include("norma.dataio.urls")),
]
