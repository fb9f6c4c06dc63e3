from django.urls import path

from warmgrid.people import views

app_name = "people"
urlpatterns = [
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/search/", views.resident_search, name="resident_search"),
    path("residents/<int:resident_id>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:resident_id>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:resident_id>/reveal/<str:field>/", views.resident_reveal,
         name="resident_reveal"),
    path("residents/<int:resident_id>/groups/", views.resident_tag_add,
         name="resident_tag_add"),
    path("residents/<int:resident_id>/groups/<int:membership_id>/end/", views.resident_tag_end,
         name="resident_tag_end"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("households/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:household_id>/residents/new/", views.resident_create,
         name="resident_create"),
]
