from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "warmgrid.assessment"
    verbose_name = _("Fair assessment")
