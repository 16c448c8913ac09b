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


def blank_pdf(pages: int = 1) -> bytes:
    """A small well-formed PDF of blank A4 pages (header, objects, cross-reference table, trailer): what the demo
    and the tests upload as a scan, since an upload must parse as a PDF."""
    import io

    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
