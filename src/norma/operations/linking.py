"""The link point to the nonconformity workflow: an out-of-tolerance calibration or a
complaint raises its nonconformity, which names it as its origin, and keeps the link."""

from norma.core.actions import Action, ActionRefused, NotPermitted
from norma.improvement.actions import raise_nonconformity


class RaiseLinkedNonconformity(Action):
    """Raise the record's nonconformity, once; the record's status does not change."""

    code = "raise-nonconformity"
    label = "Raise a nonconformity"
    permission = "improvement.add_nonconformity"
    open_statuses: tuple[str, ...] = ()

    def check_rules(self):
        meta = self.obj._meta
        if not self.actor.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
            # The link changes the record: the generic "Raise a nonconformity" is for others.
            raise NotPermitted(f"You do not have the right to {self.label.lower()}.")
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is archived.")
        if self.obj.status not in self.open_statuses:
            status = self.obj.get_status_display().lower()
            raise ActionRefused(f"{self.obj.reference} is {status}.")
        if self.obj.nonconformity_id:
            raise ActionRefused(f"{self.obj.reference} already has its nonconformity.")

    def nonconformity_fields(self) -> dict:
        """Title, description, source and what else the nonconformity says."""
        raise NotImplementedError

    def apply(self):
        self.obj.nonconformity = raise_nonconformity(
            self.actor,
            self.obj,
            site=self.obj.site,
            department=self.obj.department,
            **self.nonconformity_fields(),
        )
        return self.save(self.obj)
