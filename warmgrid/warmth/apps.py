from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarmthConfig(AppConfig):
    name = "warmgrid.warmth"
    verbose_name = _("Community warmth")
