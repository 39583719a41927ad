"""The respondent's pages, under one private link each."""

from __future__ import annotations

from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("q/<str:token>/", views.start, name="start"),
    path("q/<str:token>/page/<int:number>/", views.page, name="page"),
    path("q/<str:token>/page/<int:number>/autosave/", views.autosave, name="autosave"),
    path("q/<str:token>/review/", views.review, name="review"),
    path("q/<str:token>/saved/", views.saved, name="saved"),
    path("q/<str:token>/done/", views.done, name="done"),
]
