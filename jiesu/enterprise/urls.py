from django.urls import path

from . import views

urlpatterns = [
    path("enterprises/lookup/", views.lookup, name="enterprise_lookup"),
    # 政企直通车: the enterprises' own pages
    path("qiye/", views.qiye_home, name="qiye_home"),
    path("qiye/login/", views.qiye_login, name="qiye_login"),
    path("qiye/logout/", views.qiye_logout, name="qiye_logout"),
    path("qiye/activate/", views.qiye_activate, name="qiye_activate"),
    path("qiye/submit/", views.qiye_submit, name="qiye_submit"),
    path("qiye/requests/<str:number>/", views.qiye_request, name="qiye_request"),
]
urlpatterns += [
    # 帮办代办 (staff)
    path("enterprises/", views.helping, name="enterprise_helping"),
    path("enterprises/<str:code>/", views.ledger, name="enterprise_ledger"),
    path("enterprises/<str:code>/assign/", views.assign_helper, name="enterprise_assign_helper"),
    path("enterprises/<str:code>/helpers/<int:pk>/end/", views.end_helper, name="enterprise_end_helper"),
    path("enterprises/<str:code>/visits/", views.log_visit, name="enterprise_log_visit"),
]
