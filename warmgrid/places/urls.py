from django.urls import path

from warmgrid.places import views

app_name = "places"
urlpatterns = [
    path("", views.area_index, name="index"),
    path("<int:area_id>/", views.area_detail, name="area_detail"),
    path("<int:area_id>/groups/", views.area_groups, name="area_groups"),
]
