from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Exclusion(models.Model):
    """An "unreasonable demand" (不合理诉求) left out of the assessment.

    Requested by the case's handler or a supervisor, it takes effect only once two
    different reviewers with supervision rights over the case's area, neither the
    requester nor the case's handler, have approved it; one rejection ends it.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved by two reviewers")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    ACTIVE_STATES = (State.PENDING, State.APPROVED)

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE,
                             related_name="assessment_exclusions", verbose_name=_("case"))
    # The case's area, copied so that the review queue filters by scope without a join.
    area_path = models.CharField(max_length=255, editable=False)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices,
                             default=State.PENDING)
    first_reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="+",
                                       verbose_name=_("first reviewer"))
    first_reviewed_at = models.DateTimeField(null=True, blank=True)
    first_note = models.TextField(_("first reviewer's note"), blank=True)
    second_reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+",
                                        verbose_name=_("second reviewer"))
    second_reviewed_at = models.DateTimeField(null=True, blank=True)
    second_note = models.TextField(_("second reviewer's note"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # approved, rejected, withdrawn

    class Meta:
        verbose_name = _("assessment exclusion")
        verbose_name_plural = _("assessment exclusions")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["state", "area_path"], name="exclusion_state_scope")]
        constraints = [
            models.UniqueConstraint(fields=["case"],
                                    condition=models.Q(state__in=["pending", "approved"]),
                                    name="one_active_exclusion_per_case"),
            # Two approvals from two different people, neither of them the requester.
            models.CheckConstraint(
                condition=models.Q(second_reviewer__isnull=True)
                | ~models.Q(second_reviewer=models.F("first_reviewer")),
                name="exclusion_two_different_reviewers"),
            models.CheckConstraint(
                condition=models.Q(first_reviewer__isnull=True)
                | ~models.Q(first_reviewer=models.F("requested_by")),
                name="exclusion_requester_does_not_review"),
            models.CheckConstraint(
                condition=models.Q(second_reviewer__isnull=True)
                | ~models.Q(second_reviewer=models.F("requested_by")),
                name="exclusion_requester_does_not_review_second"),
            models.CheckConstraint(
                condition=~models.Q(state="approved")
                | models.Q(first_reviewer__isnull=False, second_reviewer__isnull=False),
                name="exclusion_approved_twice"),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.get_state_display()}"

    @property
    def approvals(self) -> int:
        if self.state == self.State.REJECTED:
            return int(self.second_reviewer_id is not None)  # the first approved, then no
        return int(self.first_reviewer_id is not None) + int(self.second_reviewer_id is not None)
