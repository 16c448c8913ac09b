"""Printable PDF documents (notices, decisions, licences) with Typst: one template per document kind, fed its
data as JSON.

Chosen by measurement over WeasyPrint (bench/documents.py, docs/performance.md): a one-page Chinese decision
with a table takes a warm Typst compiler a few milliseconds against WeasyPrint's ~100 ms, which decides whether a
worker issues documents as fast as the back office decides. Templates live in each app's `typst/` folder and
import the shared layout from `/core/typst/base.typ` (paths are relative to the `tongban` package, the Typst
root). The data goes in as one JSON string (`sys.inputs.data`), so nothing a user typed is ever read as markup;
dates are written out the Chinese way (2026年1月5日) on the way in. Each process (and thread) keeps one warm
compiler. Fonts: the Noto CJK fonts (Debian fonts-noto-cjk) from the system font folders.
"""

import datetime as dt
import decimal
import json
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the tongban package: Typst's root
_local = threading.local()


def cn_date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _encode(value):
    if isinstance(value, dt.datetime):
        return f"{cn_date(value)} {value:%H:%M}"
    if isinstance(value, dt.date):
        return cn_date(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)


def _compiler():
    compiler = getattr(_local, "compiler", None)
    if compiler is None:
        import typst  # imported here: pages that print nothing do not load it

        compiler = _local.compiler = typst.Compiler(root=str(ROOT))
    return compiler


def render_typst(template: str, data: dict) -> bytes:
    """Compile `template` (a path below the tongban package, e.g. "cases/typst/acceptance.typ") with `data`."""
    payload = json.dumps(data, ensure_ascii=False, default=_encode)
    return _compiler().compile(input=str(ROOT / template), sys_inputs={"data": payload}, pdf_tags=False)


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
