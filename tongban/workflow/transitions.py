"""The allowed state changes of a back-office step: one table the engine consults and the pages ask.

A step verb is allowed when the step is in one of its states and of one of its kinds. Review-like steps are
claimed, completed (agree/disagree) or returned; a joint inspection is answered by each member department;
the decision step is decided by the leader (from the decision queue), never claimed or completed.
"""

from dataclasses import dataclass

from tongban.core.errors import Conflict

from .models import CaseStep, StepKind

S = CaseStep.State
REVIEWING = frozenset({StepKind.REVIEW, StepKind.SITE_SURVEY, StepKind.EXPERT_REVIEW, StepKind.PUBLICITY, StepKind.HEARING,
                       StepKind.SEAL})


@dataclass(frozen=True)
class StepVerb:
    label: str
    states: frozenset
    kinds: frozenset


STEP_VERBS: dict[str, StepVerb] = {
    "claim": StepVerb("认领", frozenset({S.READY}), REVIEWING),
    "complete": StepVerb("办结", frozenset({S.CLAIMED}), REVIEWING),
    "return": StepVerb("退回补正", frozenset({S.CLAIMED}), REVIEWING),
    "reassign": StepVerb("改派", frozenset({S.READY, S.CLAIMED}), REVIEWING),
    "joint_opinion": StepVerb("提交联合踏勘意见", frozenset({S.READY, S.CLAIMED}), frozenset({StepKind.JOINT_INSPECTION})),
    "decide": StepVerb("作出审批决定", frozenset({S.READY, S.CLAIMED}), frozenset({StepKind.DECISION})),
}


def check(cs: CaseStep, verb: str) -> None:
    """Raise 409 unless the step's kind and state allow the act now."""
    v = STEP_VERBS[verb]
    if cs.step.kind not in v.kinds:
        hint = {StepKind.DECISION: "审批决定请在审批决定队列中作出", StepKind.JOINT_INSPECTION: "联合踏勘由各参加部门分别提交意见",
                StepKind.ACCEPT: "受理环节由窗口受理完成"}.get(cs.step.kind, "")
        raise Conflict("wrong_step_kind", f"“{cs.step.name}”环节不能{v.label}" + (f":{hint}" if hint else ""))
    if cs.state not in v.states:
        raise Conflict("wrong_step_state", f"该环节当前为“{cs.get_state_display()}”,不能{v.label}")


def allowed(cs: CaseStep) -> list[str]:
    return [name for name, v in STEP_VERBS.items() if cs.step.kind in v.kinds and cs.state in v.states]
