from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "channeldesk.training"
    label = "training"
    verbose_name = _("Training")

    def ready(self) -> None:
        # The tiers know nothing of the training; the training plugs its criterion in.
        from channeldesk.tiers.criteria import criterion_kind_register
        from channeldesk.training.criteria import TRAINING_KIND

        criterion_kind_register(TRAINING_KIND)
