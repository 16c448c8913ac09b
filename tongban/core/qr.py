"""QR codes as inline SVG (segno): crisp on screen and in print, no image files to serve."""

from functools import lru_cache

import segno


@lru_cache(maxsize=2048)  # a guide's address never changes; drawing the code is most of a page's cost
def qr_svg(data: str, *, scale: int = 4, title: str = "") -> str:
    qr = segno.make(data, error="m")
    return qr.svg_inline(scale=scale, border=2, title=title or None, dark="#000", light="#fff")
