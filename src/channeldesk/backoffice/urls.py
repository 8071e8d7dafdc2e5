"""URLs of the vendor back office."""

from django.urls import path

from channeldesk.backoffice.views import (
    audit,
    dashboard,
    exports,
    movers,
    operations,
    partners,
    support,
    webhooks,
)
from channeldesk.webhooks.faces import webhook_routes

app_name = "backoffice"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("runs/<str:kind>/", dashboard.run_create, name="run-create"),
    path("runs/status/<int:run_id>/", dashboard.run_status, name="run-status"),
    path("feedback-round/", dashboard.feedback_toggle, name="feedback-round"),
    path("publish/", dashboard.policy_publish, name="publish"),
    path("publish/confirm/", dashboard.publish_confirm, name="publish-confirm"),
    path("support/", support.support_home, name="support"),
    path("partners/", partners.partner_list, name="partners"),
    path("partners.csv", exports.partners_csv, name="partners-csv"),
    path("movers/", movers.mover_list, name="movers"),
    path("movers.csv", exports.movers_csv, name="movers-csv"),
    path("renewals.csv", exports.renewals_csv, name="renewals-csv"),
    path("compliance.csv", exports.compliance_csv, name="compliance-csv"),
    path("exports/partners/", exports.partner_register, name="export-partners"),
    path("exports/orders/", exports.orders_register, name="export-orders"),
    path("exports/contracts/", exports.contracts_register, name="export-contracts"),
    path("partners/<str:partner_number>/", partners.partner_detail, name="partner"),
    path("renewals/", operations.renewals, name="renewals"),
    path("outbox/", operations.outbox, name="outbox"),
    path(
        "outbox/messages/<int:message_id>/<str:action>/",
        operations.message_action,
        name="message-action",
    ),
    path(
        "outbox/reminders/<int:reminder_id>/<str:action>/",
        operations.reminder_action,
        name="reminder-action",
    ),
    path("feedback/", operations.feedback, name="feedback"),
    path("compliance/", operations.compliance, name="compliance"),
    path("training/", operations.training, name="training"),
    path("audit/", audit.audit_trail, name="audit"),
    *webhook_routes(webhooks),
]
