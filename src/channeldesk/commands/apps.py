from django.apps import AppConfig


class CommandsConfig(AppConfig):
    """The command-line face: `channeldesk import|tiers|demo ...`."""

    name = "channeldesk.commands"
    label = "commands"
    verbose_name = "Commands"
