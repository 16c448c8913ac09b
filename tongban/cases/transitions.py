"""The allowed state changes of a case: one table that every verb consults and every page asks.

A verb is allowed when the case is in one of its states, the verb's condition holds and (for
`allowed`) the user has the role it needs in the case's scope. Services call `check` before they
change anything; pages and the API list `allowed(user, case)` so nobody is shown a button that can
only fail.
"""

from dataclasses import dataclass, field
from typing import Callable

from tongban.core.errors import Conflict
from tongban.org.models import Role
from tongban.org.scopes import has_role
from tongban.org.scopes import require as require_role

from .models import Case, CaseState

St = CaseState
APPLICANT = "applicant"  # not a staff role: the applicant's own account (cases.accounts.acts_for)
OPEN = frozenset({St.RECEIVED, St.CORRECTION, St.ACCEPTED, St.RETURNED})
DECIDED = frozenset({St.APPROVED, St.DENIED})


def _item_case(case: Case) -> bool:
    return case.item_id is not None


def _department(case: Case):
    return case.item.department if case.item_id else None


@dataclass(frozen=True)
class Verb:
    label: str
    states: frozenset
    role: str
    by_department: bool = False  # the role is checked in the item's department, else in the case's region
    when: Callable[[Case], bool] = field(default=lambda case: True)
    why_not: str = ""  # the message when the state is right but `when` fails


def _has_mail(case: Case) -> bool:
    from .models import Delivery

    return Delivery.objects.filter(case=case, method=Delivery.Method.MAIL, mail_state=Delivery.MailState.POSTED).exists()


def _deliverable(case: Case) -> bool:
    from .models import Payment

    return case.item_id is not None and not case.gap_open and not Payment.objects.filter(case=case, state=Payment.State.DUE).exists()


_NOT_DELIVERABLE = "容缺受理的材料尚未补齐,或有未缴的费用,结果暂不能送达"


def _post_check_pending(case: Case) -> bool:
    from .models import PostCheck

    return PostCheck.objects.filter(case=case, result=PostCheck.Result.PENDING).exists()


VERBS: dict[str, Verb] = {
    "check_materials": Verb("核对材料", frozenset({St.RECEIVED}), Role.WINDOW_CLERK),
    "accept": Verb("受理", frozenset({St.RECEIVED}), Role.WINDOW_CLERK),
    "notify_missing": Verb("出具一次性告知书", frozenset({St.RECEIVED}), Role.WINDOW_CLERK, when=_item_case,
                           why_not="一件事请在各子办件上出具一次性告知书"),
    "refuse": Verb("不予受理", frozenset({St.RECEIVED, St.CORRECTION}), Role.WINDOW_CLERK),
    "supply": Verb("接收补交材料", frozenset({St.CORRECTION, St.RETURNED, St.ACCEPTED, St.APPROVED, St.DENIED}), Role.WINDOW_CLERK,
                   when=lambda c: c.item_id is not None and (c.state in (St.CORRECTION, St.RETURNED) or c.gap_open),
                   why_not="本办件没有待补交的材料"),
    "supply_online": Verb("网上补正材料", frozenset({St.CORRECTION, St.RETURNED, St.ACCEPTED, St.APPROVED, St.DENIED}), APPLICANT,
                          when=lambda c: c.item_id is not None and (c.state in (St.CORRECTION, St.RETURNED) or c.gap_open),
                          why_not="本办件没有待补交的材料"),
    "withdraw": Verb("撤回申请", OPEN, Role.WINDOW_CLERK),
    "immediate": Verb("即时办结", frozenset({St.RECEIVED, St.ACCEPTED}), Role.WINDOW_CLERK,
                      when=lambda c: c.item_version_id is not None and c.item_version.case_kind == "immediate",
                      why_not="该事项为承诺件,不能当场办结"),
    "return": Verb("退回补正", frozenset({St.ACCEPTED}), Role.REVIEWER, when=_item_case),
    "decide_process": Verb("作出审批决定", frozenset({St.ACCEPTED}), Role.BUREAU_LEADER, when=lambda c: c.item_id is not None and c.back_office,
                           why_not="该办件没有后台审批流程"),
    "revoke": Verb("撤销许可", frozenset({St.APPROVED, St.COMPLETED}), Role.REVIEWER, by_department=True),
    "decide": Verb("作出审批决定", frozenset({St.ACCEPTED}), Role.BUREAU_LEADER, by_department=True,
                   when=lambda c: c.item_id is not None and not c.back_office and c.item_version.case_kind != "immediate",
                   why_not="该办件由后台审批流程办理,须在审批决定环节作出决定"),
    "extend": Verb("延长审批期限", frozenset({St.ACCEPTED}), Role.BUREAU_LEADER, by_department=True,
                   when=lambda c: c.clock_id is not None and c.clock.max_extension_days > c.clock.extended_days,
                   why_not="该事项不允许延长审批期限,或已延长至法定上限"),
    "handover": Verb("变更首办负责人", OPEN | DECIDED, Role.WINDOW_CLERK),
    "deliver": Verb("送达结果", DECIDED, Role.WINDOW_CLERK, when=_deliverable, why_not=_NOT_DELIVERABLE),
    "register_mail": Verb("登记邮寄", DECIDED, Role.WINDOW_CLERK, when=_deliverable, why_not=_NOT_DELIVERABLE),
    "mail_delivered": Verb("确认邮件签收", DECIDED, Role.WINDOW_CLERK, when=_has_mail, why_not="本办件没有寄出的邮件"),
    "post_check": Verb("事后核查", frozenset({St.ACCEPTED, St.RETURNED, St.APPROVED, St.DENIED, St.COMPLETED}), Role.REVIEWER,
                       by_department=True, when=_post_check_pending, why_not="本办件没有待核查的告知承诺"),
}


def check(case: Case, verb: str) -> None:
    """Raise 409 unless the case's state (and the verb's condition) allows the act now."""
    v = VERBS[verb]
    if case.state not in v.states:
        raise Conflict("wrong_state", f"办件当前状态为“{case.get_state_display()}”,不能{v.label}")
    if not v.when(case):
        raise Conflict("not_allowed_now", v.why_not or f"办件当前不能{v.label}")


def _scope(case: Case, verb: Verb) -> dict:
    """Where the verb's role is checked: the item's department for department verbs, else the case's region."""
    if verb.by_department and case.item_id:
        return {"department": _department(case)}
    return {"region": case.region}


def permitted(user, case: Case, verb: str) -> bool:
    v = VERBS[verb]
    if v.role == APPLICANT:
        from .accounts import acts_for

        return acts_for(user, case.applicant)
    return has_role(user, v.role, **_scope(case, v))


def require(user, case: Case, verb: str) -> None:
    """403 unless the user holds the verb's role in the case's scope (the check services make first)."""
    v = VERBS[verb]
    if v.role == APPLICANT:
        if not permitted(user, case, verb):
            from tongban.core.errors import NotFound

            raise NotFound("未找到该办件")
        return
    require_role(user, v.role, **_scope(case, v), what=v.label)


def may(user, case: Case, verb: str) -> bool:
    """Whether this user may perform the verb on this case now (its state, its condition, the user's role)."""
    v = VERBS[verb]
    return case.state in v.states and v.when(case) and permitted(user, case, verb)


def allowed(user, case: Case) -> list[str]:
    """The verbs this user may perform on this case now, in the table's order."""
    return [name for name in VERBS if may(user, case, name)]
