"""WSGI entry point for gunicorn: `gunicorn channeldesk.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
application = get_wsgi_application()
