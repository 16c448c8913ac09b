"""The visible seal (印章) on printed documents: a red round seal drawn from the authority's name, as inline SVG.

Chinese official seals (GA 241 / 国务院《关于国家行政机关和企业事业单位社会团体印章管理的规定》): a circle, a
five-pointed star in the middle, the authority's name along the upper arc, clockwise, each character upright
towards the centre, and the seal's use ("审批专用章") straight along the bottom. Drawn server-side so the same
seal prints in every PDF (WeasyPrint) and shows on pages, with no image file to forge or serve. The picture is
only what the eye sees: the legal seal is the PAdES signature the seal provider adds to the file."""

import math
from functools import lru_cache
from html import escape

RED = "#d7141a"
FONT = "Noto Sans CJK SC, Noto Serif CJK SC, sans-serif"


def _star(cx: float, cy: float, r: float) -> str:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = math.radians(-90 + i * 36)
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return " ".join(points)


@lru_cache(maxsize=256)
def seal_svg(name: str, label: str = "审批专用章", *, size_mm: float = 40, title: str = "") -> str:
    """The seal of `name` (an authority's full name) with `label` along the bottom, `size_mm` across."""
    name = (name or "").strip()[:30]
    chars = list(name) or ["印"]
    n = len(chars)
    # the name spans more of the circle the longer it is: 150° for a few characters up to 250°
    span = min(250.0, max(150.0, n * 21.0))
    # glyphs stand on a baseline circle, upright towards the centre; their tops stay inside the ring (r 86)
    font = max(12.0, min(26.0, 2 * math.pi * 72 * span / 360 / n * 0.88))
    base = 86 - font * 0.92
    label = (label or "")[:12]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="{size_mm}mm" height="{size_mm}mm" '
        f'class="tb-seal" role="img" aria-label="{escape(title or name + label)}">',
        f"<title>{escape(title or name + label)}</title>",
        '<g opacity="0.86">',
        f'<circle cx="100" cy="100" r="94" fill="none" stroke="{RED}" stroke-width="6"/>',
        f'<polygon points="{_star(100, 100, 27)}" fill="{RED}"/>',
    ]
    for i, ch in enumerate(chars):
        theta = -span / 2 + (span * (i + 0.5) / n)  # degrees clockwise from the top
        x = 100 + base * math.sin(math.radians(theta))
        y = 100 - base * math.cos(math.radians(theta))
        parts.append(
            f'<text x="{x:.2f}" y="{y:.2f}" transform="rotate({theta:.2f} {x:.2f} {y:.2f})" fill="{RED}" '
            f'font-family="{FONT}" font-size="{font:.1f}" font-weight="bold" text-anchor="middle">{escape(ch)}</text>'
        )
    if label:
        size = min(19.0, 120.0 / len(label))
        parts.append(
            f'<text x="100" y="{150 + size * 0.35:.1f}" fill="{RED}" font-family="{FONT}" font-size="{size:.1f}" font-weight="bold" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
