from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained audit trail.

    Each entry's hash covers its own fields and the previous entry's hash, so altering,
    removing or reordering any entry breaks the chain from that point on
    (`warmgrid audit verify`). Rows are never updated or deleted by the application;
    on PostgreSQL a trigger refuses it too.
    """

    class Action(models.TextChoices):
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOCKED_OUT = "locked_out", _("Locked out")
        LOGOUT = "logout", _("Logout")
        TOKEN = "token", _("API token issued")
        OTP_FAILED = "otp_failed", _("Wrong second-factor code")
        REVEAL = "reveal", _("Sensitive field revealed")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        EXPORT = "export", _("Exported")
        VIEW = "view", _("Viewed")
        SYSTEM = "system", _("System")

    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    seq = models.BigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("time"))
    # Plain copies rather than foreign keys: deleting a user must not touch the trail.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(_("user"), max_length=150, blank=True)
    ip_address = models.CharField(_("IP address"), max_length=45, blank=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # The area the entry belongs to (grid path of the object, or the actor's scope), so
    # that street and district admins read the log of their own area only.
    area_path = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["area_path", "seq"], name="audit_area_seq",
                         opclasses=["varchar_pattern_ops", "int8_ops"]),
            models.Index(fields=["actor_id", "seq"], name="audit_actor_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type} {self.object_id}"
