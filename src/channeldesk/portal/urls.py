"""URLs of the partner portal."""

from django.urls import path

from channeldesk.portal.views import (
    colleagues,
    customers,
    home,
    messages,
    renewals,
    statements,
    webhooks,
)

app_name = "portal"
urlpatterns = [
    path("", home.home, name="home"),
    path("feedback/", home.feedback_submit, name="feedback"),
    path("customers/", customers.customer_list, name="customers"),
    path("customers.csv", customers.customer_csv, name="customers-csv"),
    path("customers/<str:customer_number>/", customers.customer_detail, name="customer"),
    path("letters/<int:reminder_id>/", customers.letter_download, name="letter"),
    path("keycodes/<str:contract_number>/", customers.keycode_reveal, name="keycode"),
    path("renewals/", renewals.renewal_list, name="renewals"),
    path("renewals.csv", renewals.renewal_csv, name="renewals-csv"),
    path("statements/", statements.statement_list, name="statements"),
    path("statements/<str:number>/", statements.statement_detail, name="statement"),
    path("messages/", messages.message_list, name="messages"),
    path(
        "messages/letters/<int:document_id>/",
        messages.message_letter_download,
        name="message-letter",
    ),
    path("colleagues/", colleagues.colleague_list, name="colleagues"),
    path("colleagues/<int:user_id>/remove/", colleagues.colleague_delete, name="colleague-remove"),
    path("webhooks/", webhooks.subscription_list, name="webhooks"),
    path("webhooks/new/", webhooks.subscription_create, name="webhook-create"),
    path("webhooks/<int:subscription_id>/", webhooks.subscription_detail, name="webhook"),
    path("webhooks/<int:subscription_id>/edit/", webhooks.subscription_edit, name="webhook-edit"),
    path(
        "webhooks/<int:subscription_id>/pause/", webhooks.subscription_pause, name="webhook-pause"
    ),
    path(
        "webhooks/<int:subscription_id>/resume/",
        webhooks.subscription_resume,
        name="webhook-resume",
    ),
    path(
        "webhooks/<int:subscription_id>/rotate-secret/",
        webhooks.subscription_rotate,
        name="webhook-rotate",
    ),
    path(
        "webhooks/<int:subscription_id>/delete/",
        webhooks.subscription_delete,
        name="webhook-delete",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/send-again/",
        webhooks.delivery_send_again,
        name="webhook-send-again",
    ),
]
