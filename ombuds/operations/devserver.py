"""The application `ombuds runserver` serves (settings.WSGI_APPLICATION is read by runserver only):
a development server, which serves static files from the apps' folders when collectstatic has not run
(ombuds.operations.static), so it does not make the production start-up check of ombuds/wsgi.py."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
