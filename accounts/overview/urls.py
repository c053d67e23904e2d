from django.urls import path

from accounts.overview import views

app_name = "overview"
urlpatterns = [
    path("", views.overview, name="index"),
    path("chart/<slug:name>.svg", views.chart, name="chart"),
    path("export.csv", views.export_csv, name="export"),
    path("lift-block/", views.lift_block, name="lift_block"),
]
