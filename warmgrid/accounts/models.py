from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    VOLUNTEER = "volunteer", _("Volunteer / part-time grid worker")
    GRID_WORKER = "grid_worker", _("Grid worker")
    GRID_LEADER = "grid_leader", _("Grid leader")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STREET_ADMIN = "street_admin", _("Street admin")
    DISTRICT_ADMIN = "district_admin", _("District admin")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    RESEARCHER = "researcher", _("Researcher")
    SYSTEM_ADMIN = "system_admin", _("System admin")


class User(AbstractUser):
    """Our own user model from the first migration, so that it can grow."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    # Notices are written in this language (pages follow the browser's choice).
    language = models.CharField(_("language"), max_length=10, default="zh-hans",
                                choices=[("zh-hans", "简体中文"), ("en", "English")])
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Department(models.Model):
    """A department whose handlers receive events (公安, 消防, 民政, 城管, 物业 …)."""

    class Kind(models.TextChoices):
        POLICE = "police", _("Police")
        FIRE = "fire", _("Fire service")
        CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
        URBAN_MANAGEMENT = "urban_management", _("Urban management")
        PROPERTY = "property", _("Property management")
        HEALTH = "health", _("Health")
        HOUSING = "housing", _("Housing and construction")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    area = models.ForeignKey(
        "places.Area", on_delete=models.PROTECT, related_name="departments",
        verbose_name=_("jurisdiction"),
    )
    members = models.ManyToManyField(User, blank=True, related_name="departments",
                                     verbose_name=_("members"))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """One role of one user over one area; a user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    area = models.ForeignKey(
        "places.Area", on_delete=models.PROTECT, related_name="role_assignments",
        verbose_name=_("area"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, null=True, blank=True,
        related_name="role_assignments", verbose_name=_("department"),
    )
    # A resident's own household; only for the resident role.
    household = models.ForeignKey(
        "people.Household", on_delete=models.CASCADE, null=True, blank=True,
        related_name="role_assignments", verbose_name=_("household"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area"], name="one_role_per_area"),
            models.CheckConstraint(
                condition=~models.Q(role="department_handler") | models.Q(department__isnull=False),
                name="handler_has_department",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="resident") | models.Q(household__isnull=False),
                name="resident_has_household",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area}"


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
