from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("todo/", views.todo, name="todo"),
    path("intake/", views.intake, name="intake"),
    path("intake/incoming/", views.incoming_call, name="incoming_call"),
    path("dispatch/", views.dispatch_queue, name="dispatch_queue"),
    path("inbox/", views.inbox, name="inbox"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/caller-views/", views.caller_views, name="caller_views"),
    path("tickets/caller-history/", views.caller_history, name="caller_history"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/act/<str:action>/", views.ticket_act, name="ticket_act"),
    path("tickets/<str:number>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
