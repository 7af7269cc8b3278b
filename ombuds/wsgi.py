"""The application production servers (gunicorn `ombuds.wsgi:application`) serve. It refuses to start,
with a one-line reason, where it could only answer server errors (static files not collected with
DEBUG off). `ombuds runserver` serves ombuds.operations.devserver instead."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombuds.settings")

from django.core.wsgi import get_wsgi_application

from ombuds.operations.startup import refuse_unservable

refuse_unservable()
application = get_wsgi_application()
