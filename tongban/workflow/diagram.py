"""The process as an SVG drawn on the server (no JavaScript, prints well): one column per depth,
parallel steps stacked in a column, arrows from each step to the steps that wait for it."""

from graphlib import TopologicalSorter
from html import escape

from .models import Process

W, H, GAP_X, GAP_Y = 150, 54, 46, 16


def stages(steps: list) -> list[list]:
    """Steps grouped by depth (longest chain of waits before them): the steps of one stage run at the same
    time, so a stage with several steps is a parallel stage (串改并)."""
    codes = {s.code: s for s in steps}
    depth = {}
    for c in TopologicalSorter({s.code: [a for a in s.after if a in codes] for s in steps}).static_order():
        depth[c] = 1 + max((depth[a] for a in codes[c].after if a in depth), default=-1)
    out: list[list] = [[] for _ in range(1 + max(depth.values(), default=-1))]
    for c in sorted(depth, key=lambda c: (depth[c], codes[c].order, c)):
        out[depth[c]].append(codes[c])
    return out


def critical_days(steps: list) -> int:
    """Working days along the longest path of budgets: what the process can take at most."""
    codes = {s.code: s for s in steps}
    longest: dict[str, int] = {}
    for c in TopologicalSorter({s.code: [a for a in s.after if a in codes] for s in steps}).static_order():
        longest[c] = codes[c].budget_workdays + max((longest[a] for a in codes[c].after if a in longest), default=0)
    return max(longest.values(), default=0)


def outline(process: Process) -> dict:
    """What the public guide shows next to the drawing: the stages in order, each step with its department
    and budget, and the total along the longest path."""
    steps = list(process.steps.select_related("department").prefetch_related("joint_departments"))
    return {"process": process, "svg": svg(process, steps), "stages": stages(steps), "days": critical_days(steps),
            "suspending": any(s.suspends_clock for s in steps)}


def svg(process: Process, steps: list | None = None, current: str | None = None, done: set | None = None) -> str:
    """The process as an SVG; `current` (a step code) is outlined in red and marked 当前, `done` steps are greyed."""
    steps = list(process.steps.select_related("department")) if steps is None else steps
    if not steps:
        return ""
    columns = {d: [s.code for s in stage] for d, stage in enumerate(stages(steps))}
    rows = max(len(v) for v in columns.values())
    height = rows * (H + GAP_Y) + GAP_Y
    pos = {}
    for d, cs in columns.items():
        top = (height - len(cs) * (H + GAP_Y) + GAP_Y) / 2
        for i, c in enumerate(cs):
            pos[c] = (GAP_X / 2 + d * (W + GAP_X), top + i * (H + GAP_Y))
    width = len(columns) * (W + GAP_X)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
             f'height="{height:.0f}" role="img" aria-label="审批流程图" class="process-diagram">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
             '<path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>']
    for s in steps:
        x2, y2 = pos[s.code]
        for a in s.after:
            if a in pos:
                x1, y1 = pos[a]
                parts.append(f'<line x1="{x1 + W:.0f}" y1="{y1 + H / 2:.0f}" x2="{x2:.0f}" y2="{y2 + H / 2:.0f}" stroke="#64748b" marker-end="url(#arrow)"/>')
    for s in steps:
        x, y = pos[s.code]
        fill = "#fde2e2" if s.kind == "decision" else ("#fff4d6" if s.suspends_clock else "#eef4fb")
        if done and s.code in done and s.code != current:
            fill = "#e5e7eb"
        stroke = ' stroke="#b5121b" stroke-width="3"' if s.code == current else ' stroke="#94a3b8"'
        parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{W}" height="{H}" rx="6" fill="{fill}"{stroke}/>')
        if s.code == current:
            parts.append(f'<text x="{x + W - 4:.0f}" y="{y + 12:.0f}" text-anchor="end" font-size="10" fill="#b5121b" font-weight="bold">当前</text>')
        parts.append(f'<text x="{x + W / 2:.0f}" y="{y + 21:.0f}" text-anchor="middle" font-size="13">{escape(s.name)}</text>')
        parts.append(f'<text x="{x + W / 2:.0f}" y="{y + 40:.0f}" text-anchor="middle" font-size="10" fill="#475569">'
                     f'{escape((s.department.short_name or s.department.name)[:12])} · {s.budget_workdays}日</text>')
    parts.append("</svg>")
    return "".join(parts)
