"""gunicorn's configuration for those who start gunicorn by hand:

    gunicorn -c deploy/gunicorn.conf.py channeldesk.wsgi

`channeldesk web` uses `channeldesk.gunicorn_conf` itself; this file only re-exports it, so the
two never differ (tests/operations/test_deploy_files.py). Change the settings there, or through
the environment variables that module reads (docs/deploy.md).
"""

from channeldesk.gunicorn_conf import *  # noqa: F403
