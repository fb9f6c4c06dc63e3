import logging
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmgrid.settings")
application = get_wsgi_application()

if not settings.DEBUG:
    # Production workers load the case classifier before their first request, not during
    # it; with `gunicorn --preload` it is loaded once and shared by the forked workers.
    from warmgrid.cases.classification import warm_up

    try:
        warm_up()
    except Exception:  # the site must still start; the first report will try again
        logging.getLogger("warmgrid").warning("case classifier not loaded at start-up",
                                              exc_info=True)
