"""Count the SQL statements of each operation of one case on the benchmark's process (bench/workflow.py).

Run after `bench_workflow_setup` on the same scratch database: one case goes through the API in-process
(Django's test client with the bench accounts' bearer tokens) — submit, accept, for each review step claim and
complete, decide — and the statements of each request are counted (the document issuing runs after the
decision's commit in a worker and is counted apart). The last line printed is one JSON object
{operation: statements}. For benchmarks only."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tongban.cases.models import CaseDocument
from tongban.core.identifiers import make_uscc
from tongban.org.models import ApiToken, User

from .bench_workflow_setup import ITEM


class Command(BaseCommand):
    help = "统计后台审批压测流程中每个操作的 SQL 语句数(仅用于压测库)。"

    def handle(self, **options):
        from tongban.catalog.models import ItemVersion
        from tongban.workflow.issuing import issue

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        version = ItemVersion.objects.effective().filter(name=ITEM, item__region__code="370800").first()
        tokens = {u: ApiToken.issue(User.objects.get(username=u), "statements")[1]
                  for u in ("clerk", "bench_fire", "bench_plan", "bench_review", "bench_leader")}
        client = Client()
        counts = {}

        def call(op, user, path, body=None):
            with CaptureQueriesContext(connection) as q:
                r = client.post(path, json.dumps(body or {}), content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {tokens[user]}")
            assert r.status_code in (200, 201), (op, r.status_code, r.content[:300])
            counts.setdefault(op, []).append(len(q))
            return r.json()

        firm = {"kind": "org", "id_number": make_uscc("370811", 39500001, authority="9", kind="1"),
                "name": "济宁语句计数置业有限公司", "phone": "05372345678"}
        number = call("submit", "clerk", "/api/v1/cases/", {
            "applicant": firm, "item": version.item.implementation_code, "channel": "window",
            "materials": [{"material": m.pk, "status": "original_seen"} for m in version.materials.all()]})["number"]
        call("accept", "clerk", f"/api/v1/cases/{number}/accept")
        for code, user in (("review_fire", "bench_fire"), ("review_plan", "bench_plan"), ("review_joint", "bench_review")):
            steps = client.get(f"/api/v1/workflow/cases/{number}/steps", HTTP_AUTHORIZATION=f"Bearer {tokens[user]}").json()
            s = next(s for s in steps if s["step"] == code)
            call("claim", user, f"/api/v1/workflow/steps/{s['id']}/claim")
            call("complete", user, f"/api/v1/workflow/steps/{s['id']}/complete",
                 {"opinion": "agree", "answers": [{"point": p, "answer": "符合"} for p in s["review_points"]]})
        call("decide", "bench_leader", f"/api/v1/workflow/cases/{number}/decide", {"approve": True, "note": "准予许可"})
        doc = CaseDocument.objects.filter(case__number=number).first()
        if doc is not None and doc.state != "issued":
            with CaptureQueriesContext(connection) as q:
                issue("decision", doc.pk)
            counts["issue_document(worker)"] = [len(q)]
        out = {op: max(v) for op, v in counts.items()}
        for op, n in out.items():
            self.stdout.write(f"{op:<24} {n:4d} statements")
        self.stdout.write(json.dumps(out))
