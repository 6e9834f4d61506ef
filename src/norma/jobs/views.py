"""People watch their long work here; the page polls via htmx until the job finishes."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from norma.core.htmx import render_page
from norma.jobs.models import Job


def jobs_for(person):
    """Everyone sees their own jobs; a quality manager with unlimited scope sees every one."""
    jobs = Job.objects.select_related("created_by")
    sees_all = person.has_perm("jobs.view_job") and person.scope.unlimited
    return jobs if sees_all else jobs.filter(created_by=person)


@login_required
def job_list(request):
    return render(request, "jobs/job_list.html", {"jobs": jobs_for(request.user)[:100]})


@login_required
def job_detail(request, pk):
    job = get_object_or_404(jobs_for(request.user), pk=pk)
    return render_page(
        request, "jobs/job_detail.html", {"job": job}, fragment="jobs/_job_status.html"
    )


@login_required
def job_result(request, pk):
    job = get_object_or_404(jobs_for(request.user), pk=pk)
    if not job.result_file:
        raise Http404
    response = FileResponse(
        job.result_file.open("rb"), as_attachment=True, filename=job.result_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def progress_while_running(request, job, template: str, context: dict):
    """The answer to a page polling a record's job: its progress while it runs, then an
    empty answer that tells htmx to reload the page, which shows the result."""
    if job is None or job.finished:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, template, context)
