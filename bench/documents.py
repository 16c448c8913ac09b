"""Document issuing benchmark: the renderer chosen by measurement (issue #14).

    .venv/bin/pip install -r requirements-bench.txt    # WeasyPrint, for the comparison only
    .venv/bin/python bench/documents.py
    .venv/bin/python bench/documents.py --documents 200

One process, as one worker: a one-page Chinese 准予行政许可决定书 with the QR code and a material table (the
real decision's data, case numbers varying), rendered
  - by Typst (the renderer the documents use: tongban/workflow/typst/decision.typ, one warm compiler), and
  - by WeasyPrint from the HTML template the documents used before (bench/weasyprint/decision.html),
then sealed (PAdES, pyHanko, ECDSA P-256: the same provider the worker uses). Printed per renderer: render ms
p50/p95, seal ms p50, and one worker's documents/s (render + seal, serially). Baseline in the same run: a fixed
piece of CPU work (SHA-256 over 1 MB, 20 times) so the figures of two machines can be compared as ratios. The
PDFs of both renderers are left in /tmp/tongban_bench_documents/ (turn them into PNG with pdftoppm to compare
the print). A scratch SQLite database holds the authority's seal. The last line is one JSON object.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = Path("/tmp/tongban_bench_documents")


def pct(values, q):
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2) if len(values) > 1 else round(values[0], 2)


def baseline_ms() -> float:
    block = b"x" * 1_000_000
    t = time.perf_counter()
    for _ in range(20):
        hashlib.sha256(block).digest()
    return (time.perf_counter() - t) * 1000


def decision_data(n: int) -> dict:
    from tongban.core.qr import qr_svg
    from tongban.core.seal import seal_svg

    number = f"370811-20260302-{n:06d}"
    track = f"https://zwfw.jining.gov.cn/track/{number}/3f9a1c2b7d4e/"
    return {
        "title": "准予行政许可决定书", "approve": True, "department": "济宁市行政审批服务局",
        "hall": {"name": "济宁市为民服务中心", "address": "济宁市任城区太白湖新区金宇路与圣贤路交叉口", "phone": "0537-12345"},
        "doc_number": f"济宁审准〔2026〕第{n:06d}号",
        "case": {"number": number, "item_name": "食品经营许可", "applicant_name": "济宁市任城区鲁味轩餐饮店",
                 "applicant_id": "92370811MA3C****7X", "applicant_kind": "法人", "received_on": dt.date(2026, 3, 2),
                 "accepted_on": dt.date(2026, 3, 2), "handler": "颜春梅", "handler_phone": "0537-12345", "window": "A01号窗口"},
        "note": "经营场所布局合理,设备设施与经营项目相适应,食品安全管理制度健全,符合《食品经营许可和备案管理办法》规定的条件。",
        "details": [["许可证编号", f"JY13708110{n:06d}"], ["经营项目", "热食类食品制售;冷食类食品制售"], ["有效期", "2026年3月2日至2031年3月1日"]],
        "remedies": "", "issued_on": dt.date(2026, 3, 4), "track_url": track, "qr_svg": qr_svg(track, scale=3, title="扫码查询"),
        "seal_svg": seal_svg("济宁市行政审批服务局"), "seal_label": "审批专用章",
    }


def setup():
    db = OUT / "bench_documents.sqlite3"
    OUT.mkdir(exist_ok=True)
    db.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("TONGBAN_DEMO", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tongban.org.models import Department, Region

    region = Region.objects.get(code="370800")
    return Department.objects.create(name="济宁市行政审批服务局", region=region, credit_code="11370800MB2838951A")


def measure(label: str, render, sign, n: int) -> dict:
    render(decision_data(0))  # warm: fonts loaded, compiler built
    rendered, sealed = [], []
    for i in range(1, n + 1):
        t = time.perf_counter()
        pdf = render(decision_data(i))
        t1 = time.perf_counter()
        signed = sign(pdf)
        t2 = time.perf_counter()
        rendered.append((t1 - t) * 1000)
        sealed.append((t2 - t1) * 1000)
    (OUT / f"decision-{label}.pdf").write_bytes(signed)
    total = sum(rendered) + sum(sealed)
    out = {"render_p50_ms": pct(rendered, 50), "render_p95_ms": pct(rendered, 95), "seal_p50_ms": pct(sealed, 50),
           "documents_per_s": round(n / (total / 1000), 1), "bytes": len(signed)}
    print(f"{label:<11} render p50 {out['render_p50_ms']:8.2f} ms  p95 {out['render_p95_ms']:8.2f} ms   seal p50 "
          f"{out['seal_p50_ms']:6.2f} ms   one worker {out['documents_per_s']:7.1f} documents/s   ({n} documents, {len(signed)} bytes)")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=100)
    args = ap.parse_args()
    department = setup()
    from tongban.core.pdf import render_typst
    from tongban.workflow.seal import provider

    seal = provider()

    def sign(pdf):
        return seal.sign(pdf, department)

    base = min(baseline_ms() for _ in range(3))
    print(f"baseline: SHA-256 over 20 MB in {base:.1f} ms")
    typst = measure("typst", lambda data: render_typst("workflow/typst/decision.typ", data), sign, args.documents)
    try:
        import weasyprint
        from django.template import Context, Engine
    except ImportError:
        sys.exit("WeasyPrint is not installed: .venv/bin/pip install -r requirements-bench.txt")
    engine = Engine(dirs=[str(ROOT / "bench" / "weasyprint")], libraries={"seal": "tongban.core.templatetags.seal"})
    template = engine.get_template("decision.html")

    def weasy(data):
        return weasyprint.HTML(string=template.render(Context(data)), base_url=str(ROOT)).write_pdf()

    weasy_n = max(10, args.documents // 5)
    wp = measure("weasyprint", weasy, sign, weasy_n)
    ratio = round(wp["render_p50_ms"] / typst["render_p50_ms"], 1)
    print(f"Typst renders {ratio}x faster than WeasyPrint (p50); one worker issues {typst['documents_per_s']} documents/s "
          f"with Typst against {wp['documents_per_s']} with WeasyPrint; baseline ratio render/baseline "
          f"{typst['render_p50_ms'] / base:.2f} (Typst), {wp['render_p50_ms'] / base:.2f} (WeasyPrint)")
    print(json.dumps({"documents": args.documents, "baseline_ms": round(base, 2), "typst": typst, "weasyprint": wp,
                      "render_ratio": ratio, "chosen": "typst"}))


if __name__ == "__main__":
    main()
