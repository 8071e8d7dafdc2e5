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
from channeldesk.webhooks.faces import webhook_routes

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
    *webhook_routes(webhooks),
]
