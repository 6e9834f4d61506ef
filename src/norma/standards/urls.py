from django.urls import path

from norma.standards import views

app_name = "standards"
urlpatterns = [
    path("", views.clause_tree, name="clauses"),
    path("readiness/", views.readiness_page, name="readiness"),
    path("<slug:slug>/", views.clause_tree, name="standard"),
    path("<slug:slug>/<str:ref>/", views.clause_detail, name="clause"),
]
