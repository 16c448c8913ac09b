"""Exports of 电子监察: every dashboard table to Excel (the filters in each sheet's title and first row) and the
monthly inspection report as PDF (WeasyPrint, charts drawn here as SVG: no browser, no script)."""

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font

from tongban.core.pdf import render_typst

from . import metrics, selectors

MAX_ROWS = 200_000  # a drill-down exported beyond this is narrowed by the filters first


def sheet_title(name: str, f: metrics.Filters) -> str:
    """`name` and the filters, as Excel allows a sheet title: at most 31 characters, none of []:*?/\\."""
    region = f" {f.region.name}" if f.region is not None else ""
    title = f"{name} {f.start:%Y%m%d}-{f.end:%Y%m%d}{region}"
    return re.sub(r"[\[\]:*?/\\]", "", title)[:31]


def _sheet(wb, name: str, f, header: list[str], rows, first=False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = sheet_title(name, f)
    ws.append([f"{name}(筛选:{f.label()})"])
    ws["A1"].font = Font(bold=True)
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    return ws


def _pct(v):
    return None if v is None else round(v * 100, 1)


def dashboard_workbook(user, f: metrics.Filters) -> bytes:
    board = selectors.board(user, f)
    wb = Workbook()
    rows = []
    for _title, vals in board["groups"]:
        for v in vals:
            rows.append([v.figure.label, v.display, v.numerator if v.figure.kind == "rate" else None,
                         v.denominator if v.figure.kind == "rate" else None, v.figure.doc])
    d = board["days"]
    rows += [["平均法定时限(工作日)", d["legal"], None, None, "作出决定件数的法定时限平均值"],
             ["平均承诺时限(工作日)", d["promised"], None, None, "作出决定件数的承诺时限平均值"],
             ["时限压缩率", None if d["compression"] is None else f"{d['compression'] * 100:.1f}%", None, None, "1 − 平均用时 ÷ 平均法定时限"]]
    _sheet(wb, "监察指标", f, ["指标", "数值", "分子", "分母", "口径"], rows, first=True)
    _sheet(wb, "月度趋势", f, ["月份", "受理件数", "办结件数"],
           [[f"{r['month']:%Y-%m}", r["accepted"], r["completed"]] for r in board["trend"]])
    for name, key in (("窗口排名", "windows"), ("人员排名", "staff")):
        _sheet(wb, name, f, ["名次", "名称", "受理件数", "作出决定件数", "按期办结件数", "按期办结率(%)"],
               [[i, r["name"], r["accepted"], r["decided"], r["on_time"], _pct(r["rate"])] for i, r in enumerate(board[key], 1)])
    _sheet(wb, "下级区划", f, ["区划代码", "区划", "受理件数", "办结件数", "作出决定件数", "按期办结率(%)"],
           [[r["region"].code, r["region"].name, r["accepted"], r["completed"], r["decided"], _pct(r["rate"])] for r in board["regions"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


CASE_HEADER = ["办件编号", "事项", "申请人", "受理区划", "渠道", "受理日", "办结期限", "决定日", "办结日", "到现场次数", "亮灯", "用时(工作日)"]


def case_row(c) -> list:
    return [c.number, c.title, f"{c.applicant.name}({c.applicant.masked_id})", c.region.name, c.get_channel_display(),
            c.accepted_on, c.deadline, c.decided_on, c.completed_on, c.visits, c.light, getattr(c, "used_workdays", None)]


def figure_workbook(user, key: str, f: metrics.Filters) -> bytes:
    fig = metrics.FIGURES[key]
    qs = metrics.cases(user, key, f)
    if fig.kind == "days":
        qs = metrics.with_used_workdays(qs)
    qs = qs.select_related("item_version", "applicant", "region", "bundle").order_by("-id")[:MAX_ROWS]
    wb = Workbook(write_only=False)
    _sheet(wb, fig.label, f, CASE_HEADER, (case_row(c) for c in qs.iterator(chunk_size=2000)), first=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the monthly report ---------------------------------------------------------------------------------------

def bar_svg(labels: list[str], series: list[tuple[str, list[int], str]], width=640, height=220) -> str:
    """A grouped bar chart as an SVG string (one group per label, one bar per series)."""
    pad_l, pad_b, pad_t = 40, 30, 20
    top = max([max(vals) if vals else 0 for _, vals, _ in series] + [4])
    top = -(-top // 4) * 4  # a multiple of four: whole-number ticks
    plot_w, plot_h = width - pad_l - 10, height - pad_b - pad_t
    group = plot_w / max(len(labels), 1)
    bar = group * 0.8 / max(len(series), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             'font-family="Noto Sans CJK SC, sans-serif" font-size="10">',
             f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 10}" y2="{pad_t + plot_h}" stroke="#888"/>']
    for tick in range(5):
        v = top * tick / 4
        y = pad_t + plot_h - plot_h * tick / 4
        parts.append(f'<text x="{pad_l - 4}" y="{y + 3:.1f}" text-anchor="end" fill="#555">{v:.0f}</text>')
        parts.append(f'<line x1="{pad_l}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#eee"/>')
    for i, label in enumerate(labels):
        x0 = pad_l + i * group + group * 0.1
        for j, (_name, vals, color) in enumerate(series):
            h = plot_h * vals[i] / top
            parts.append(f'<rect x="{x0 + j * bar:.1f}" y="{pad_t + plot_h - h:.1f}" width="{bar * 0.9:.1f}" height="{h:.1f}" fill="{color}"/>')
        parts.append(f'<text x="{pad_l + i * group + group / 2:.1f}" y="{height - 12}" text-anchor="middle" fill="#333">{label}</text>')
    for j, (name, _vals, color) in enumerate(series):
        parts.append(f'<rect x="{pad_l + j * 90}" y="4" width="10" height="10" fill="{color}"/>'
                     f'<text x="{pad_l + j * 90 + 14}" y="13" fill="#333">{name}</text>')
    parts.append("</svg>")
    return "".join(parts)


def monthly_report(user, f: metrics.Filters) -> bytes:
    """月度电子监察通报 for the month of `f` (its filters kept): the figures, the trend of the twelve months up to it,
    the window and staff rankings, the region breakdown and the red lists."""
    import datetime as dt
    from dataclasses import replace

    board = selectors.board(user, f)
    first = (f.start.replace(day=1) - dt.timedelta(days=330)).replace(day=1)
    year = replace(f, start=first, end=f.end)
    trend = metrics.trend(user, year)
    chart = bar_svg([f"{r['month']:%m}月" for r in trend],
                    [("受理", [r["accepted"] for r in trend], "#1f6fb2"), ("办结", [r["completed"] for r in trend], "#3aa655")])
    lights = [board["values"][k] for k in ("open_red", "open_yellow", "open_green", "open_paused")]
    light_chart = bar_svg([v.figure.label.replace("在办", "") for v in lights], [("在办件数", [v.value or 0 for v in lights], "#c0392b")],
                          width=640, height=180)
    red = list(metrics.cases(user, "open_red", f).select_related("item_version", "applicant", "region", "bundle").order_by("deadline", "id")[:30])
    late = list(metrics.cases(user, "decided_late", f).select_related("item_version", "applicant", "region", "bundle").order_by("-id")[:30])
    def pct(rate):
        return "—" if rate is None else f"{round(rate * 100)}%"

    def red_if(v, text):
        return {"red": text} if v.red else text

    figures = [[v.figure.label, red_if(v, f"{v.display}" + (f" ({v.numerator}/{v.denominator})" if v.figure.kind == "rate" else "")),
                v.figure.doc] for _title, vals in board["groups"] for v in vals]
    days = board["days"]
    if days.get("compression") is not None:
        figures.append(["时限压缩", pct(days["compression"]),
                        f"平均法定时限 {days['legal']} 个工作日,承诺 {days['promised']},实际平均 {days['avg']}"])
    ranks = [[f"{i}{' 红旗窗口' if i <= 3 else ''}", r["name"], str(r["accepted"]), str(r["decided"]), pct(r["rate"])]
             for i, r in enumerate(board["windows"], 1)]
    staff = [[str(i), r["name"], str(r["accepted"]), str(r["decided"]), pct(r["rate"])] for i, r in enumerate(board["staff"], 1)]
    sections = [
        {"heading": "一、主要指标", "tables": [{"headers": ["指标", "数值", "口径"], "widths": ["30%", "22%", "1fr"], "rows": figures}]},
        {"heading": "二、近十二个月受理、办结趋势", "svg": chart},
        {"heading": "三、在办件亮灯", "svg": light_chart},
        {"heading": "四、窗口与人员排名", "tables": [
            {"headers": ["名次", "窗口", "受理", "作出决定", "按期办结率"], "rows": ranks},
            {"headers": ["名次", "首办负责人", "受理", "作出决定", "按期办结率"], "rows": staff}]},
    ]
    if board["regions"]:
        sections.append({"heading": f"五、{board['parent'].name}下级区划", "tables": [{"headers": ["区划", "受理", "办结", "按期办结率"], "rows": [
            [r["region"].name, str(r["accepted"]), str(r["completed"]), pct(r["rate"])] for r in board["regions"]]}]})
    sections.append({"heading": "六、超期办件(红灯,在办)", "tables": [{"headers": ["办件编号", "事项", "申请人", "受理区划", "办结期限"], "rows": [
        [c.number, c.title, f"{c.applicant.name}({c.applicant.masked_id})", c.region.name, {"red": f"{c.deadline:%Y-%m-%d}" if c.deadline else ""}]
        for c in red]}]})
    sections.append({"heading": "七、本月超期办结", "tables": [{"headers": ["办件编号", "事项", "受理区划", "决定日"], "rows": [
        [c.number, c.title, c.region.name, f"{c.decided_on:%Y-%m-%d}" if c.decided_on else ""] for c in late]}]})
    return render_typst("supervision/typst/report.typ", {
        "title": "政务服务电子监察月度通报", "subtitle": f"{f.start.year}年{f.start.month}月 · 统计口径:{f.label}", "sections": sections})
