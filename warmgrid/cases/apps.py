from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "warmgrid.cases"
    verbose_name = _("Events")

    def ready(self) -> None:
        from warmgrid.cases import reference

        reference.connect_signals()
