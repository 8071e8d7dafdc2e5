"""`channeldesk health_check readyz --no-http`: /readyz's checks from a shell or a container's
health check (exit 0 when all pass, 1 otherwise), or `health_check readyz` against the running
web server over HTTP.

This is django-health-check's own command. The library is not in INSTALLED_APPS (importing it
at every start costs each process ~0.15 s, see settings.py), so ChannelDesk offers its command
here; Django imports a command's module only when that command runs.
"""

from health_check.management.commands.health_check import Command as HealthCheckCommand


class Command(HealthCheckCommand):
    """django-health-check's command, unchanged."""
