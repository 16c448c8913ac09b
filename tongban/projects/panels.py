"""The enterprise's investment projects on its own page (一企一页): each project, its stage, and the agency
service's progress page when the project has one."""

from django.urls import reverse


def enterprise_projects(applicant) -> list[dict]:
    from .models import AgencyRequest, Project

    projects = list(Project.objects.filter(owner=applicant).order_by("-id")[:20])
    tokens = dict(AgencyRequest.objects.filter(project__in=projects).exclude(token="").order_by("id")
                  .values_list("project_id", "token"))
    return [{"text": p.name, "detail": f"投资项目代码 {p.code} · 当前阶段:{p.get_stage_display()}",
             "url": reverse("projects:progress", args=[tokens[p.pk]]) if p.pk in tokens else ""} for p in projects]
