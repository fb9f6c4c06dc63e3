"""Password rule: at least 10 characters (Django's validator) from 3 of the 4 classes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def character_classes(password: str) -> int:
    return sum((
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ))


class CharacterClassValidator:
    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < 3:
            raise ValidationError(
                _("Use at least three of: lower-case letters, upper-case letters, digits and "
                  "symbols."),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("Your password must mix at least three of: lower-case letters, upper-case "
                 "letters, digits and symbols.")
