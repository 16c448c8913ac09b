"""QR codes as inline SVG (segno): crisp on screen and in print, no image files to serve."""

import segno


def qr_svg(data: str, *, scale: int = 4, title: str = "") -> str:
    qr = segno.make(data, error="m")
    return qr.svg_inline(scale=scale, border=2, title=title or None, dark="#000", light="#fff")
