"""The application production servers (gunicorn `ombuds.wsgi:application`) serve. It refuses to start,
with a one-line reason, where it could only answer server errors (static files not collected with
DEBUG off; a master key that does not open the database's data keys). `ombuds runserver` serves
ombuds.operations.devserver instead."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombuds.settings")

import django

django.setup(set_prefix=False)

# After the apps are loaded (the key check reads the database), before anything is served.
from ombuds.operations.startup import refuse_unservable  # noqa: E402

refuse_unservable()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
