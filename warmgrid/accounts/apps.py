from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "warmgrid.accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from warmgrid.accounts import signals  # noqa: F401  (login and lockout audit)
