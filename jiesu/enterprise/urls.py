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
urlpatterns += [
    # 涉企政策: the library (staff) and the enterprise's 政策 (政企直通车)
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/new/", views.policy_edit, name="policy_new"),
    path("policies/<str:code>/", views.policy_detail, name="policy_detail"),
    path("policies/<str:code>/edit/", views.policy_edit, name="policy_edit"),
    path("policies/<str:code>/<str:action>/", views.policy_action, name="policy_action"),
    path("qiye/policies/", views.qiye_policies, name="qiye_policies"),
    path("qiye/policies/<str:code>/", views.qiye_policy, name="qiye_policy"),
]
urlpatterns += [
    # 百企评机关: campaigns and results (staff), the enterprise's rating (政企直通车)
    path("evaluations/", views.evaluation_list, name="evaluation_list"),
    path("evaluations/new/", views.evaluation_edit, name="evaluation_new"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:pk>/edit/", views.evaluation_edit, name="evaluation_edit"),
    path("evaluations/<int:pk>/export/", views.evaluation_export, name="evaluation_export"),
    path("evaluations/<int:pk>/<str:action>/", views.evaluation_action, name="evaluation_action"),
    path("qiye/evaluations/<int:pk>/", views.qiye_evaluation, name="qiye_evaluation"),
]
