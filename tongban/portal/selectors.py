"""What an applicant account sees: its own cases, steps, notices, documents, messages. Everything is scoped
through the account's applicants (`cases.accounts`): another applicant's case answers 404 like a missing one."""

from django.db.models import Prefetch, Q

from tongban.cases import accounts, panels, reuse
from tongban.cases import selectors as case_selectors
from tongban.cases.models import Applicant, Case, CaseState, Message, Notice, Payment
from tongban.core.errors import NotFound
from tongban.workflow.models import CaseStep

PAGE = 20
EXPIRY_WARNING_DAYS = 90
# The licence library registers a function here (applicant -> [{"name", "number", "valid_until"}]): the enterprise
# page lists the licences and warns of those expiring within EXPIRY_WARNING_DAYS.
LICENCE_SOURCES: list = []


def my_cases(user, applicant: Applicant | None = None):
    from tongban.cases.models import ApplicantUser

    # the account's applicants as a subquery: no join to fan out, so no DISTINCT over every column
    qs = Case.objects.filter(applicant__in=ApplicantUser.objects.filter(user=user).values("applicant"), parent__isnull=True)
    if applicant is not None:
        qs = qs.filter(applicant=applicant)
    return qs.select_related("item_version", "applicant", "bundle").order_by("-id")


def my_cases_in_full(user, applicant: Applicant | None = None, limit: int = 50) -> list[Case]:
    """我的办件 with everything `case_view` reads, fetched for all the cases at once: a fixed number of
    statements however many cases the account holds."""
    from tongban.cases.models import CaseMaterial
    from tongban.ratings.models import Rating

    return list(my_cases(user, applicant).select_related("clock").prefetch_related(
        "clock__suspensions", "notices", "documents", Prefetch("payments", queryset=Payment.objects.order_by("id")),
        Prefetch("steps", queryset=CaseStep.objects.select_related("step", "department", "claimant").order_by("id")),
        Prefetch("materials", queryset=CaseMaterial.objects.select_related("material").order_by("material__order", "id")),
        Prefetch("ratings", queryset=Rating.objects.filter(channel=Rating.Channel.ONLINE).select_related("handling"),
                 to_attr="online_ratings"),
        Prefetch("children", queryset=Case.objects.select_related("item_version").order_by("id")),
    )[:limit])


def my_case(user, number: str) -> Case:
    case = Case.objects.select_related("item_version", "item", "applicant", "handler", "region", "clock").filter(
        number=number, applicant__accounts__user=user).first()
    if case is None:
        raise NotFound("未找到该办件")
    return case


def steps_of(case: Case) -> list[dict]:
    """Each back-office step: department, dates, who handles it and how to reach them (first handler)."""
    rows = case.steps.all() if _prefetched(case, "steps") else \
        CaseStep.objects.filter(case=case).select_related("step", "department", "claimant").order_by("id")
    out = []
    for s in rows:
        if s.state == CaseStep.State.CANCELLED:
            continue
        out.append({"name": s.step.name, "department": s.department.name, "state": s.state, "state_name": s.get_state_display(),
                    "started_on": s.started_on, "done_on": s.done_on, "deadline": s.deadline,
                    "handler": str(s.claimant) if s.claimant_id else "", "phone": (s.claimant.phone if s.claimant_id else "") or "12345"})
    return out


def pending_materials(case: Case) -> list:
    """The guide materials the applicant may still supply online (missing or defective, or 容缺)."""
    from tongban.cases.models import CaseMaterial

    S = CaseMaterial.Status
    wanted = (S.MISSING, S.DEFECTIVE, S.GAP)
    if _prefetched(case, "materials"):
        return [cm for cm in case.materials.all() if cm.status in wanted]
    return list(case.materials.filter(status__in=wanted).select_related("material").order_by("material__order"))


def _prefetched(obj, name: str) -> bool:
    return name in getattr(obj, "_prefetched_objects_cache", {})


def _latest(notices):
    return max(notices, key=lambda n: (n.round, n.pk)) if notices else None


def case_view(case: Case, user, *, with_messages: bool = True) -> dict:
    """What 我的办件 shows of one case. On a case from `my_cases_in_full` it runs no statement of its own (the
    messages aside, which only the case page shows)."""
    from tongban.cases import transitions

    notices = list(case.notices.all())
    return {
        "case": case, "clock": case_selectors.clock_status(case), "steps": steps_of(case), "notices": notices,
        "documents": [d for d in case_selectors.documents_of(case) if d.state == "issued"],
        "pending": pending_materials(case) if transitions.may(user, case, "supply_online") else [],
        "return_notice": case_selectors.latest_return_notice(case) if case.state == CaseState.RETURNED else None,
        "case_messages": list(case.messages.all()[:20]) if with_messages else [], "payments": sorted(case.payments.all(), key=lambda p: p.pk),
        "missing_notice": _latest([n for n in notices if n.kind == Notice.Kind.MISSING])
        if case.state in (CaseState.CORRECTION, CaseState.RETURNED) else None,
        "children": sorted(case.children.all(), key=lambda c: c.pk) if case.bundle_id else [],
        "rating": _online_rating(case),
    }


def _online_rating(case: Case):
    """The case's online rating: from `my_cases_in_full`'s prefetched list when the case came from there."""
    from tongban.ratings import selectors as rating_selectors

    if hasattr(case, "online_ratings"):
        return case.online_ratings[0] if case.online_ratings else None
    return rating_selectors.rating_of_case(case)


def messages_of(user, limit: int = 50) -> list[Message]:
    return list(Message.objects.filter(applicant__accounts__user=user).select_related("case").distinct().order_by("-at", "-id")[:limit])


def unpaid(user) -> list[Payment]:
    return list(Payment.objects.filter(case__applicant__accounts__user=user, state=Payment.State.DUE).select_related("case"))


def offers_for(applicant, version) -> list:
    return reuse.offers(applicant, version)


def public_lookup(number: str, who: str) -> Case | None:
    """进度查询: the case number and the applicant's full name or the last six characters of the ID number /
    credit code. Anything else answers nothing (never which half was wrong)."""
    number, who = (number or "").strip(), (who or "").strip().upper()
    if not number or not who or len(number) > 40 or len(who) > 120:
        return None
    case = Case.objects.select_related("applicant").filter(number=number).first()
    if case is None:
        return None
    a = case.applicant
    if who == a.name.upper() or (len(who) == 6 and a.id_number.endswith(who)):
        return case
    return None


def enterprise_page(user, enterprise: Applicant) -> dict:
    """一企一页: cases, licences with expiry reminders (from the licence library when installed), messages,
    materials saved for reuse, the policies panel."""
    import datetime as dt

    from django.utils import timezone

    cases = list(my_cases(user, enterprise)[:20])
    today = timezone.localdate()
    licences = [dict(lic) for source in LICENCE_SOURCES for lic in source(enterprise)]
    for lic in licences:
        until = lic.get("valid_until")
        lic["expiring"] = bool(until and until <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS))
    return {"licences": sorted(licences, key=lambda x: (not x["expiring"], x.get("valid_until") or dt.date.max)),
        "enterprise": enterprise, "cases": cases, "operators": accounts.operators_of(enterprise),
        "role": accounts.role_for(user, enterprise),
        "ent_messages": list(Message.objects.filter(applicant=enterprise).order_by("-at")[:20]),
        "panels": panels.panels(enterprise),  # filled by apps beside the portal (investment projects)
        "reusable": list(enterprise.cases.filter(materials__file__gt="").filter(~Q(materials__file="")).values_list(
            "materials__material__name", flat=True).distinct()[:20]),
    }
