"""Set up the workflow benchmark (bench/workflow.py) on a scratch database that already holds the demo.

1. Seeds `--inbox-steps` open (ready) review steps in one department's queue (default the city's 生态环境局):
   one real 建设工程规划许可证核发 case is submitted and accepted through the services on the demo process, then
   cloned in SQL — case, case clock, the ecology review step with its own clock, the case's process pin —
   with distinct case numbers on past days and a spread of deadlines and lights (5 % red, 15 % yellow,
   80 % green), so the inbox page renders them as it would real ones.
2. Publishes, from today, a five-step process with two parallel branches for the same item:
   受理 → [消防审查 ‖ 规划审查] → 综合审查 → 审批决定 (fire, planning, approval bureau reviewer, bureau leader).
   Cases accepted from then on run on it; the seeded and demo cases keep the version they started with.
3. Creates one account per role with a bearer token each (the demo clerk submits and accepts), and the approval
   bureau's seal (key and certificate), as a deployment would on setup.

The last line printed is one JSON object: item code, materials, tokens, the inbox user and what was seeded.
For benchmarks only: never run it on a database that matters."""

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from tongban.catalog.models import ItemVersion
from tongban.org.demo import DEMO_PASSWORD
from tongban.org.models import ApiToken, Department, Region, Role, RoleGrant, User

ITEM = "建设工程规划许可证核发"
CITY = "370800"
PREFIX_SEQ = 500000  # seeded case numbers: 370800-<past day>-5xxxxx..9xxxxx, far above any day's real sequence
USERS = [  # username, name, role, department function
    ("bench_fire", "压测消防审查员", Role.REVIEWER, "fire"),
    ("bench_plan", "压测规划审查员", Role.REVIEWER, "natural_resources"),
    ("bench_review", "压测综合审查员", Role.REVIEWER, "approval"),
    ("bench_leader", "压测审批局负责人", Role.BUREAU_LEADER, "approval"),
]
REVIEW_POINTS = {
    "review_fire": ["消防车道、登高操作场地是否符合规范", "建筑防火间距是否符合规范"],
    "review_plan": ["建筑退让、容积率、建筑密度是否符合控制性详细规划"],
    "review_joint": ["各部门审查意见是否一致、是否具备许可条件"],
}


def _user(username, name, role, dept):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=name)
        user.set_password(DEMO_PASSWORD)
        user.save()
    RoleGrant.objects.get_or_create(user=user, role=role, region=dept.region, department=dept)
    return user


def _columns(model, skip=()):
    return [f.column for f in model._meta.concrete_fields if not f.primary_key and f.column not in skip]


def _lights(n=100):
    """(deadline, light) for i % n: 5 % red (1–10 working days late), 15 % yellow (due in 0–1), 80 % green."""
    from tongban.workcal.days import get_calendar

    cal, today = get_calendar(), timezone.localdate()

    def shift(k):
        d = today
        step = 1 if k >= 0 else -1
        while k:
            d = d.fromordinal(d.toordinal() + step)
            if cal.day(d).working:
                k -= step
        return d

    out = []
    for i in range(n):
        if i < 5:
            out.append((shift(-1 - i * 2), "red"))
        elif i < 20:
            out.append((shift(i % 2), "yellow"))
        else:
            out.append((shift(2 + i % 9), "green"))
    return out


class Command(BaseCommand):
    help = "为后台审批压测准备数据:大队列部门的待办环节、五环节并联流程、各角色账号与接口令牌(仅用于压测库)。"

    def add_arguments(self, parser):
        parser.add_argument("--inbox-steps", type=int, default=100_000)
        parser.add_argument("--inbox-department", default="ecology", help="职能代码(济宁市本级部门)")
        parser.add_argument("--token-name", default="bench")

    def handle(self, inbox_steps, inbox_department, token_name, **options):
        city = Region.objects.get(code=CITY)
        version = ItemVersion.objects.effective().filter(name=ITEM, item__region=city).first()
        if version is None:
            raise CommandError(f"没有{ITEM}(请先 load_demo)")
        item = version.item
        functions = ("approval", "fire", "natural_resources", inbox_department)
        depts = {f: Department.objects.get(region=city, function=f) for f in functions}
        if not 0 <= inbox_steps < PREFIX_SEQ:
            raise CommandError(f"--inbox-steps 应在 0 到 {PREFIX_SEQ - 1} 之间")
        if inbox_department in ("approval", "fire", "natural_resources"):
            raise CommandError("大队列部门不能是压测流程的办理部门")
        t = time.perf_counter()
        seeded = self.seed_inbox(version, depts[inbox_department], inbox_steps) if inbox_steps else 0
        seed_s = time.perf_counter() - t
        process = self.publish(item, depts)
        from tongban.workflow.seal import ensure_seal

        ensure_seal(depts["approval"])  # "key and certificate generated per bureau on setup": not by the first decisions
        users = {u: _user(u, n, r, depts[f]) for u, n, r, f in USERS}
        users["bench_inbox"] = _user("bench_inbox", "压测大队列审查员", Role.REVIEWER, depts[inbox_department])
        tokens = {"clerk": ApiToken.issue(User.objects.get(username="clerk"), token_name)[1]}
        tokens.update({u: ApiToken.issue(users[u], token_name)[1] for u, *_ in USERS})
        steps = list(process.steps.order_by("order").values_list("code", "name", "department__name", "after"))
        self.stdout.write(json.dumps({
            "item": item.implementation_code, "item_name": ITEM, "materials": [m.pk for m in version.materials.all()],
            "process": process.number, "steps": steps, "tokens": tokens, "inbox_user": "bench_inbox",
            "password": DEMO_PASSWORD, "inbox_department": depts[inbox_department].name, "seeded": seeded,
            "seed_seconds": round(seed_s, 1),
        }, ensure_ascii=False))

    def publish(self, item, depts):
        from tongban.workflow import definitions

        def step(code, name, kind, dept, after, days, **kw):
            return {"code": code, "name": name, "kind": kind, "department": dept, "after": after, "budget_workdays": days, **kw}

        actor = User.objects.get(username="catalog")
        bureau, fire, plan = depts["approval"], depts["fire"], depts["natural_resources"]
        process = definitions.define(actor, item, [
            step("accept", "受理", "accept", bureau, [], 1),
            step("review_fire", "消防审查", "review", fire, ["accept"], 2, review_points=REVIEW_POINTS["review_fire"]),
            step("review_plan", "规划审查", "review", plan, ["accept"], 2, is_lead=True, review_points=REVIEW_POINTS["review_plan"]),
            step("review_joint", "综合审查", "review", bureau, ["review_fire", "review_plan"], 1,
                 review_points=REVIEW_POINTS["review_joint"]),
            step("decide", "审批决定", "decision", bureau, ["review_joint"], 1, role=Role.BUREAU_LEADER),
        ])
        return definitions.publish_process(actor, process, valid_from=timezone.localdate())

    def seed_inbox(self, version, dept, n) -> int:
        """One real case on the item's current process, then `n` clones of it with the `dept` step open."""
        from tongban.cases import services
        from tongban.cases.demo import all_materials
        from tongban.cases.models import Case
        from tongban.core.identifiers import make_uscc
        from tongban.workcal.models import Clock
        from tongban.workflow.models import CaseProcess, CaseStep

        clerk = User.objects.get(username="clerk")
        firm = services.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 39000001, authority="9", kind="1"),
                                           name="济宁压测置业有限公司")
        case = services.submit_case(clerk, applicant=firm, item=version.item, materials=all_materials(version))
        case = services.accept_case(clerk, case)
        tstep = CaseStep.objects.filter(case=case, department=dept, state=CaseStep.State.READY).select_related("step").first()
        if tstep is None:
            raise CommandError(f"{ITEM}的现行流程没有{dept}的环节")
        code = tstep.step.code
        days, lights = zip(*_lights())
        case_cols = _columns(Case, skip={"number", "clock_id", "deadline", "light", "received_on", "accepted_on"})
        clock_set = ["subject_id", "label", "parent_id", "deadline", "legal_deadline", "light", "start_date"]
        clock_cols = _columns(Clock, skip=set(clock_set))
        step_cols = _columns(CaseStep, skip={"case_id", "clock_id", "deadline", "light"})
        run_cols = _columns(CaseProcess, skip={"case_id"})
        q = connection.ops.quote_name

        def cols(columns, alias):
            return ", ".join(f"{alias}.{q(c)}" for c in columns)

        def names(columns):
            return ", ".join(q(c) for c in columns)

        # i -> (deadline, light) via arrays indexed by i % 100; received/accepted 1–30 days before today
        pick = "(%(days)s::date[])[1 + g.i %% 100]"
        pick_light = "(%(lights)s::text[])[1 + g.i %% 100]"
        received = "(CURRENT_DATE - (1 + g.i %% 30))"
        number = f"'{CITY}-' || to_char({received}, 'YYYYMMDD') || '-' || lpad(({PREFIX_SEQ} + g.i)::text, 6, '0')"
        params = {"days": list(days), "lights": list(lights), "n": n, "case": case.pk, "clock": case.clock_id,
                  "step_clock": tstep.clock_id, "step": tstep.pk, "code": code, "case_label": version.name,
                  "step_label": tstep.step.name}
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"""
                INSERT INTO workcal_clock ({names(clock_cols)}, {names(clock_set)})
                SELECT {cols(clock_cols, 't')}, {number}, {number} || ' ' || %(case_label)s, NULL, {pick}, {pick}, {pick_light},
                       {received}
                FROM workcal_clock t, generate_series(1, %(n)s) AS g(i) WHERE t.id = %(clock)s""", params)
            cur.execute(f"""
                INSERT INTO cases_case ({names(case_cols)}, number, clock_id, deadline, light, received_on, accepted_on)
                SELECT {cols(case_cols, 't')}, c.subject_id, c.id, c.deadline, c.light, c.start_date, c.start_date
                FROM cases_case t, workcal_clock c
                WHERE t.id = %(case)s AND c.subject_type = 'case' AND c.id > %(clock)s""", params)
            cur.execute(f"""
                INSERT INTO workcal_clock ({names(clock_cols)}, {names(clock_set)})
                SELECT {cols(clock_cols, 't')}, k.number || ':' || %(code)s, k.number || ' ' || %(step_label)s, k.clock_id,
                       k.deadline, k.deadline, k.light, k.received_on
                FROM workcal_clock t, cases_case k WHERE t.id = %(step_clock)s AND k.id > %(case)s""", params)
            cur.execute(f"""
                INSERT INTO workflow_casestep ({names(step_cols)}, case_id, clock_id, deadline, light)
                SELECT {cols(step_cols, 't')}, k.id, c.id, c.deadline, c.light
                FROM workflow_casestep t, cases_case k
                JOIN workcal_clock c ON c.subject_type = 'case_step' AND c.subject_id = k.number || ':' || %(code)s
                WHERE t.id = %(step)s AND k.id > %(case)s""", params)
            made = cur.rowcount
            cur.execute(f"""
                INSERT INTO workflow_caseprocess ({names(run_cols)}, case_id)
                SELECT {cols(run_cols, 't')}, k.id FROM workflow_caseprocess t, cases_case k
                WHERE t.case_id = %(case)s AND k.id > %(case)s""", params)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # every table: the seeded rows and the process just published (its steps join the inbox)
        return made
