from django.urls import path

from . import views

urlpatterns = [
    path("kpi/", views.dashboard, name="kpi_dashboard"),
    path("kpi/tickets/", views.tickets, name="kpi_tickets"),
    path("kpi/ranking.xlsx", views.export_ranking, name="kpi_export_ranking"),
    path("kpi/tickets.xlsx", views.export_tickets, name="kpi_export_tickets"),
    path("kpi/plotly.min.js", views.plotly_js, name="kpi_plotly_js"),
]
