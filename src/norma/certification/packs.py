"""An evidence pack's steps and pages: build it (a background job with progress), verify the
stored ZIP against its manifest, download it."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from norma.certification.evidence import ArchiveError, verify_pack
from norma.certification.models import EvidencePack
from norma.core.actions import Action, ActionRefused, NotPermitted
from norma.jobs.models import Job
from norma.jobs.runner import start_job
from norma.jobs.views import progress_while_running

P = EvidencePack.Status


def build_job(pack) -> Job | None:
    return Job.objects.filter(pk=pack.build_job_id).first() if pack.build_job_id else None


def building(pack) -> bool:
    running = Job.objects.filter(
        pk=pack.build_job_id, state__in=(Job.State.QUEUED, Job.State.RUNNING)
    )
    return bool(pack.build_job_id and running.exists())


class BuildEvidencePack(Action):
    """Build (or build again) the ZIP from the registers as they are now."""

    code = "build"
    label = "Build the pack"
    permission = "certification.change_evidencepack"

    def check_rules(self):
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is archived.")
        if not self.actor.scope.unlimited:
            # The pack holds every site's records as its builder sees them.
            raise NotPermitted("A pack is built by someone who sees every site.")
        if building(self.obj):
            raise ActionRefused("The pack is being built already: wait for it to finish.")

    def apply(self):
        self.obj.build_job_id = start_job(
            self.actor,
            "evidence-pack",
            f"Evidence pack {self.obj.reference}",
            "norma.certification.evidence.build_pack",
            {"pack_id": self.obj.pk},
        ).pk
        self.obj.status = P.BUILDING
        return self.save(self.obj)


class VerifyEvidencePack(Action):
    """Check every file of the stored ZIP against the SHA-256 in its manifest."""

    code = "verify"
    label = "Verify the pack's checksums"
    permission = "certification.view_evidencepack"

    def check_rules(self):
        if self.obj.status != P.BUILT:
            raise ActionRefused(f"{self.obj.reference} is not built.")

    def apply(self):
        try:
            with self.obj.file.open("rb") as handle:
                manifest = verify_pack(handle)
        except (ArchiveError, OSError) as error:
            raise ActionRefused(f"The pack does not verify: {error}") from None
        if manifest["manifest_sha256"] != self.obj.manifest_sha256:
            raise ActionRefused("The stored ZIP is not the one that was built.")
        self.verified_files = len(manifest["files"])
        return self.obj

    def logged_values(self, before):
        return None, {"verified_files": self.verified_files, "sha256": self.obj.file_sha256}


PACK_ACTIONS = [BuildEvidencePack, VerifyEvidencePack]


def _pack(request, reference) -> EvidencePack:
    from norma.certification.registers import EvidencePackRegister

    return get_object_or_404(EvidencePackRegister.readable_by(request.user), reference=reference)


@login_required
def pack_status(request, reference):
    """Polled while the pack is built; once done the page reloads to offer the ZIP."""
    pack = _pack(request, reference)
    job = build_job(pack)
    return progress_while_running(
        request, job, "certification/_pack_status.html", {"obj": pack, "build_job": job}
    )


@login_required
def download(request, reference):
    """The last ZIP built (kept while a new one builds): for the quality team, who may see
    everything it holds."""
    pack = _pack(request, reference)
    may = request.user.has_perm("certification.change_evidencepack")
    if not (may and request.user.scope.unlimited):  # it holds every site's records
        raise PermissionDenied
    if pack.status == P.DRAFT or not pack.file:
        raise Http404
    return FileResponse(pack.file.open("rb"), as_attachment=True, filename=f"{reference}.zip")
