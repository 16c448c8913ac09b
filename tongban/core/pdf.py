"""Printable PDF documents (notices, receipts, commitment letters) from Django templates, via WeasyPrint.

The template is rendered to HTML with the ordinary template engine, then laid out by WeasyPrint. No
network, no browser: images, styles and fonts come from the template itself (inline CSS and SVG) or from
the local filesystem. Chinese text needs a CJK font known to fontconfig: the templates ask for
"Noto Serif CJK SC" / "Noto Sans CJK SC" (Debian package fonts-noto-cjk); without it Chinese prints as boxes.
"""

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template_name: str, context: dict, *, base_url: str | None = None) -> bytes:
    """Render `template_name` with `context` and return the PDF bytes.

    `base_url` resolves relative URLs in the HTML (e.g. <img src="static/...">); it defaults to the project
    root. The template should carry its own @page rules (size, margins, running header and page numbers).
    """
    import weasyprint  # imported here: loading Pango and fonts costs time that pages without PDFs should not pay

    html = render_to_string(template_name, context)
    return weasyprint.HTML(string=html, base_url=base_url or str(settings.BASE_DIR)).write_pdf()
