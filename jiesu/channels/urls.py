from django.urls import path

from . import views

urlpatterns = [
    # 人大代表建议 / 政协委员提案 (by their ticket number)
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/new/", views.proposal_new, name="proposal_new"),
    path("proposals/statement/", views.proposal_statement, name="proposal_statement"),
    path("proposals/<str:number>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<str:number>/letters/<int:round_>.docx", views.letter_download, name="proposal_letter"),
    path("proposals/<str:number>/<str:action>/", views.proposal_action, name="proposal_action"),
    # 110 ↔ 12345 联动 (110's own system talks to /api/v1/police110/)
    path("police110/", views.police_list, name="police110_list"),
    # 欠薪线索 (the 台账; the facts are recorded from the ticket page)
    path("wages/", views.wage_list, name="wage_list"),
    path("wages/<str:number>/<str:action>/", views.wage_action, name="wage_action"),
    # 信访代办 (by their ticket number)
    path("petitions/", views.petition_list, name="petition_list"),
    path("petitions/new/", views.petition_new, name="petition_new"),
    path("petitions/<str:number>/", views.petition_detail, name="petition_detail"),
    path("petitions/<str:number>/<str:action>/", views.petition_action, name="petition_action"),
]
