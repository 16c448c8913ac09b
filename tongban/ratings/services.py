"""The verbs of 好差评: rate a case online or a visit at the window's tablet, and handle a 差评."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from tongban.cases import accounts
from tongban.cases.models import Case, CaseState, Visit
from tongban.cases.sms import tell
from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError, NotAllowed, NotFound
from tongban.org.models import Role, Window  # noqa: F401 - Role is used by the views too
from tongban.org.scopes import has_role
from tongban.workcal.days import add_working_days

from .models import BAD, INDICATORS, Handling, Invitation, Level, Rating

H = Handling.State
REMIND_AFTER_DAYS = 3
TABLET_HOURS = 4  # the tablet rates a visit of the last few hours (the applicant is still at the counter)


def _today(on=None):
    return on or timezone.localdate()


def rectify_days() -> int:
    return int(getattr(settings, "RATING_RECTIFY_WORKDAYS", 5))


def invite(case: Case, stage: str, on: dt.date | None = None) -> Invitation | None:
    """评价邀请 at 收件 or 办结: a message on the applicant's page (and by SMS), once per stage."""
    if case.parent_id:  # a bundle is rated as one
        return None
    inv, created = Invitation.objects.get_or_create(case=case, stage=stage, defaults={"sent_on": _today(on)})
    if created:
        word = "已收到您的申请" if stage == Invitation.Stage.RECEIVED else "已办结"
        tell(case.applicant, f"您的办件{case.number}({case.title}){word},欢迎对本次服务作出评价(好差评)。", case=case, kind="rating")
    return inv


def remind_unrated(day: dt.date | None = None) -> int:
    """The scheduled job: one reminder when no rating was given 3 days after 办结."""
    day = _today(day)
    due = Invitation.objects.filter(stage=Invitation.Stage.COMPLETED, reminded_on__isnull=True,
                                    sent_on__lte=day - dt.timedelta(days=REMIND_AFTER_DAYS)).select_related("case", "case__applicant")
    n = 0
    for inv in due:
        with tx.atomic():
            if Rating.objects.filter(case=inv.case, channel=Rating.Channel.ONLINE).exists():
                Invitation.objects.filter(pk=inv.pk).update(reminded_on=day)
                continue
            tell(inv.case.applicant, f"您的办件{inv.case.number}已办结,尚未评价。您的评价是我们改进服务的依据。", case=inv.case, kind="rating")
            Invitation.objects.filter(pk=inv.pk).update(reminded_on=day)
            n += 1
    return n


def _indicators(channel: str, given: dict | None) -> dict:
    codes = dict(INDICATORS[channel])
    out = {}
    for code, level in (given or {}).items():
        if code not in codes:
            raise DomainError("indicator", f"“{str(code)[:20]}”不是{'网上' if channel == 'online' else '窗口'}评价的指标", field="indicators")
        try:
            level = int(level)
        except (TypeError, ValueError):
            level = 0
        if not 1 <= level <= 5:
            raise DomainError("indicator_level", f"{codes[code]}的评价等级应为1至5", field="indicators")
        out[code] = level
    return out


def _level(level) -> int:
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in Level.values:
        raise DomainError("rating_level", "评价等级应为1(非常满意)至5(非常不满意)", field="level")
    return level


def _comment(level: int, comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > 500 or "\x00" in comment:
        raise DomainError("too_long", "评价内容不得超过500个字", field="comment")
    if level in BAD and not comment:
        raise DomainError("rating_comment", "作出不满意或非常不满意评价时,请写明原因,便于整改", field="comment")
    return comment


def _open_handling(rating: Rating, on: dt.date):
    if rating.is_bad:
        Handling.objects.create(rating=rating, opened_on=on)


def rate_case(user, case: Case, *, level, indicators: dict | None = None, comment: str = "", on: dt.date | None = None) -> Rating:
    """一事一评: the applicant rates their case online, once, after it was received."""
    on = _today(on)
    if not accounts.acts_for(user, case.applicant):
        raise NotFound("未找到该办件")
    level = _level(level)
    marks = _indicators("online", indicators)
    comment = _comment(level, comment)
    with tx.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()
        if not Invitation.objects.filter(case=case).exists():
            raise Conflict("not_invited", "该办件尚未收件,暂不能评价")
        if Rating.objects.filter(case=case, channel=Rating.Channel.ONLINE).exists():
            raise Conflict("already_rated", "该办件已评价(一事一评),评价不可修改")
        rating = Rating.objects.create(channel=Rating.Channel.ONLINE, case=case, region=case.region, level=level, indicators=marks,
                                       comment=comment, by=user, window=case.window,
                                       department=case.item.department if case.item_id else None)
        _open_handling(rating, on)
        record(user, "ratings.rated", rating, data={"case": case.number, "level": level})
    return rating


def rate_visit(user, window: Window, *, level, indicators: dict | None = None, comment: str = "", on: dt.date | None = None) -> Rating:
    """一次一评 at the window's tablet (评价器): the latest visit at this window in the last hours, not yet rated."""
    on = _today(on)
    if not has_role(user, Role.WINDOW_CLERK, region=window.hall.region):
        raise NotFound("未找到该窗口")
    level = _level(level)
    marks = _indicators("window", indicators)
    comment = _comment(level, comment)
    with tx.atomic():
        visit = (Visit.objects.select_for_update(of=("self",)).filter(window=window, at__gte=timezone.now() - dt.timedelta(hours=TABLET_HOURS),
                                                          rating__isnull=True)
                 .select_related("case", "case__item").order_by("-at", "-id").first())
        if visit is None:
            raise Conflict("no_visit", "本窗口近期没有待评价的办事记录")
        case = visit.case
        rating = Rating.objects.create(channel=Rating.Channel.WINDOW, case=case, visit=visit, window=window, region=case.region,
                                       department=case.item.department if case.item_id else None, level=level,
                                       indicators=marks, comment=comment)
        _open_handling(rating, on)
        record(user, "ratings.rated_at_window", rating, data={"case": case.number, "level": level, "window": window.pk})
    return rating


def may_handle(user, rating: Rating) -> bool:
    """谁办理、谁负责: the department that handled the case (its reviewers or leaders), or the window clerks of the
    region for a rating with no department; the supervisor of the region sees every handling."""
    if rating.department_id:
        return any(has_role(user, r, department=rating.department) for r in (Role.REVIEWER, Role.BUREAU_LEADER)) or \
            has_role(user, Role.WINDOW_CLERK, region=rating.region)
    return has_role(user, Role.WINDOW_CLERK, region=rating.region)


def may_supervise(user, rating: Rating) -> bool:
    return has_role(user, Role.SUPERVISOR, region=rating.region)


def _locked(handling: Handling) -> Handling:
    return Handling.objects.select_for_update(of=("self",)).select_related("rating", "rating__case", "rating__case__applicant").get(pk=handling.pk)


def _answer_applicant(h: Handling):
    case = h.rating.case
    if case is not None:
        tell(case.applicant, f"您对办件{case.number}的评价已处理:{h.answer[:200]}", case=case, kind="rating_answer")


def verify(user, handling: Handling, *, outcome: str, verification: str, answer: str = "", appeal_reason: str = "",
           days: int | None = None, on: dt.date | None = None) -> Handling:
    """核实 and choose: 立行立改 (answer now), 限期整改 (deadline in working days, default 5), 解释说明 (the request
    has no legal basis: answer now), or 申诉复核 (a mistaken or malicious rating: the supervisor decides)."""
    on = _today(on)
    if not may_handle(user, handling.rating):
        raise NotAllowed("只有办理该事项的部门或窗口可以核实整改(谁办理、谁负责)")
    if outcome not in Handling.Outcome.values:
        raise DomainError("outcome", "处理方式应为立行立改、限期整改、解释说明或申诉复核", field="outcome")
    verification = (verification or "").strip()
    if not verification or len(verification) > 2000:
        raise DomainError("verification", "请填写核实情况(不超过2000字)", field="verification")
    answer = (answer or "").strip()
    if outcome in (Handling.Outcome.IMMEDIATE, Handling.Outcome.EXPLAIN) and not answer:
        raise DomainError("answer", "请填写给申请人的答复", field="answer")
    if len(answer) > 2000:
        raise DomainError("too_long", "答复不得超过2000字", field="answer")
    if outcome == Handling.Outcome.APPEAL and not (appeal_reason or "").strip():
        raise DomainError("appeal_reason", "申诉复核须说明评价不实或恶意评价的理由", field="appeal_reason")
    if days is not None and not 1 <= int(days) <= 30:
        raise DomainError("days", "整改期限应为1至30个工作日", field="days")
    with tx.atomic():
        h = _locked(handling)
        if h.state != H.VERIFYING:
            raise Conflict("wrong_state", f"该差评当前为“{h.get_state_display()}”,不能核实")
        h.outcome, h.verification, h.verified_by = outcome, verification, user
        if outcome == Handling.Outcome.RECTIFY:
            h.state, h.deadline = H.RECTIFYING, add_working_days(on, int(days or rectify_days())).date
        elif outcome == Handling.Outcome.APPEAL:
            h.state, h.appeal_note = H.APPEALED, appeal_reason.strip()[:2000]
        else:
            h.state, h.answer, h.answered_on = H.ANSWERED, answer, on
        h.save()
        record(user, "ratings.verified", h.rating, data={"outcome": outcome, "deadline": h.deadline.isoformat() if h.deadline else None})
        if h.state == H.ANSWERED:
            _answer_applicant(h)
    return h


def finish_rectification(user, handling: Handling, *, answer: str, on: dt.date | None = None) -> Handling:
    on = _today(on)
    if not may_handle(user, handling.rating):
        raise NotAllowed("只有办理该事项的部门或窗口可以整改")
    answer = (answer or "").strip()
    if not answer or len(answer) > 2000:
        raise DomainError("answer", "请填写整改情况和给申请人的答复(不超过2000字)", field="answer")
    with tx.atomic():
        h = _locked(handling)
        if h.state != H.RECTIFYING:
            raise Conflict("wrong_state", f"该差评当前为“{h.get_state_display()}”,不能提交整改结果")
        h.state, h.answer, h.answered_on = H.ANSWERED, answer, on
        h.save()
        record(user, "ratings.rectified", h.rating, data={"late": bool(h.deadline and on > h.deadline)})
        _answer_applicant(h)
    return h


def decide_appeal(user, handling: Handling, *, upheld: bool, note: str, on: dt.date | None = None) -> Handling:
    """申诉复核 decided by the supervisor: upheld, the rating stays but counts no more in statistics; rejected,
    the department goes back to verification and must rectify or explain."""
    on = _today(on)
    if not may_supervise(user, handling.rating):
        raise NotAllowed("只有督查人员可以作出申诉复核决定")
    note = (note or "").strip()
    if not note or len(note) > 2000:
        raise DomainError("note", "请填写复核意见(不超过2000字)", field="note")
    with tx.atomic():
        h = _locked(handling)
        if h.state != H.APPEALED:
            raise Conflict("wrong_state", f"该差评当前为“{h.get_state_display()}”,没有待复核的申诉")
        h.appeal_upheld, h.appeal_by = bool(upheld), user
        h.appeal_note = (h.appeal_note + "\n复核意见:" + note)[:4000]
        if upheld:
            h.state, h.answer, h.answered_on = H.ANSWERED, f"经复核,该评价不予采信:{note}", on
        else:
            h.state, h.outcome = H.VERIFYING, ""
        h.save()
        record(user, "ratings.appeal_decided", h.rating, data={"upheld": bool(upheld)})
        if upheld:
            _answer_applicant(h)
    return h


def record_return_visit(user, handling: Handling, *, note: str, satisfied: bool, on: dt.date | None = None) -> Handling:
    """回访: the applicant was asked whether the answer settles it; the handling closes."""
    on = _today(on)
    if not (may_handle(user, handling.rating) or may_supervise(user, handling.rating)):
        raise NotAllowed("只有办理部门或督查人员可以登记回访")
    note = (note or "").strip()
    if not note or len(note) > 2000:
        raise DomainError("note", "请填写回访情况(不超过2000字)", field="note")
    with tx.atomic():
        h = _locked(handling)
        if h.state != H.ANSWERED:
            raise Conflict("wrong_state", f"该差评当前为“{h.get_state_display()}”,答复后方可回访")
        h.state, h.return_visit, h.return_visit_on, h.return_satisfied = H.CLOSED, note, on, bool(satisfied)
        h.save()
        record(user, "ratings.return_visit", h.rating, data={"satisfied": bool(satisfied)})
    return h


RATEABLE_STATES = set(CaseState.values)
