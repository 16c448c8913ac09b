"""Uploaded materials: the type is read from the content, never from the file name."""

from django.conf import settings

from tongban.core.errors import DomainError

SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]


def sniff(head: bytes, file) -> str | None:
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    if b"%PDF-" in head[:1024]:  # the PDF header may follow a few bytes of junk (ISO 32000-1, 7.5.2 note)
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):  # OFD (GB/T 33190) is a ZIP package with OFD.xml at its root
        import zipfile

        try:
            file.seek(0)
            with zipfile.ZipFile(file) as z:
                if "OFD.xml" in z.namelist():
                    return "application/ofd"
        except Exception:  # noqa: BLE001 - a damaged archive is simply not an OFD file
            return None
    return None


def check_upload(file) -> str:
    """The content type of an acceptable upload (PDF, JPG, PNG, OFD up to 20 MB), or a DomainError.

    The magic bytes only name the claimed type; the structure must then hold: a PDF is parsed (its catalogue and
    page tree read), an image is decoded. HTML with `%PDF-` in its first kilobyte is refused."""
    size = getattr(file, "size", None)
    limit = settings.UPLOAD_MAX_FILE_BYTES  # 20 MB unless configured; the same limit stops the upload as it streams
    if size is not None and size > limit:
        raise DomainError("file_too_large", f"文件“{file.name}”超过{limit // (1024 * 1024)}MB,请压缩后上传", field="file")
    if size == 0:
        raise DomainError("file_empty", f"文件“{file.name}”是空文件", field="file")
    file.seek(0)
    head = file.read(1024)
    content_type = sniff(head, file)
    file.seek(0)
    if content_type is None:
        raise DomainError("file_type", f"文件“{file.name}”不是PDF、JPG、PNG或OFD格式(按文件内容识别)", field="file")
    problem = STRUCTURE_CHECKS[content_type](file) if content_type in STRUCTURE_CHECKS else None
    file.seek(0)
    if problem:
        kind = "PDF" if content_type == "application/pdf" else "图片"
        raise DomainError("file_damaged", f"文件“{file.name}”不是有效的{kind}文件({problem}),请重新扫描或导出后上传", field="file")
    return content_type


MAX_PIXELS = 100_000_000  # a 20 MB scan never needs more; a decompression bomb does


def _pdf_problem(file) -> str | None:
    """None when the file parses as a PDF: header, cross-reference table, trailer, catalogue and a page tree."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    data = file.read(settings.UPLOAD_MAX_FILE_BYTES + 1)
    start = data.find(b"%PDF-", 0, 1024)  # junk before the header: the offsets count from the header
    try:
        reader = PdfFileReader(io.BytesIO(data[start:]), strict=False)
        count = reader.root["/Pages"]["/Count"]
    except Exception:  # noqa: BLE001 - whatever the parser trips on, the file is not a readable PDF
        return "无法解析文件结构"
    if not isinstance(count, int) or count < 1:
        return "没有页面"
    return None


def _image_problem(file) -> str | None:
    """None when the image decodes completely (a JPEG at reduced scale: every block is still read)."""
    from PIL import Image

    try:
        with Image.open(file) as image:
            if image.width * image.height > MAX_PIXELS:
                return "图片像素过多"
            image.verify()
        file.seek(0)
        with Image.open(file) as image:
            if image.format == "JPEG":
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except Exception:  # noqa: BLE001 - truncated, corrupt or not an image at all
        return "无法解码图片"
    return None


STRUCTURE_CHECKS = {"application/pdf": _pdf_problem, "image/jpeg": _image_problem, "image/png": _image_problem}


EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "application/ofd": ".ofd"}


def stored_name(content_type: str) -> str:
    """A random name with the extension of the type found in the content (never the client's name)."""
    import secrets

    return secrets.token_hex(16) + EXTENSIONS[content_type]


def sweep_orphans(older_than_hours: int = 24) -> list[str]:
    """Delete uploaded files that no MaterialFile row records. A file is stored before its transaction commits
    (so nothing accepted is ever lost) and recorded in that transaction; when it rolls back, the file is left
    behind: this removes it once it is older than `older_than_hours` (an upload still in flight is younger).
    Superseded uploads keep their rows and stay."""
    import datetime as dt

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from .models import MaterialFile

    cutoff = timezone.now() - dt.timedelta(hours=older_than_hours)
    removed = []

    def walk(folder):
        try:
            dirs, files = default_storage.listdir(folder)
        except FileNotFoundError:
            return
        for d in dirs:
            yield from walk(f"{folder}/{d}")
        for f in files:
            yield f"{folder}/{f}"

    for name in walk("cases"):
        if default_storage.get_modified_time(name) > cutoff:
            continue
        if not MaterialFile.objects.filter(file=name).exists():
            default_storage.delete(name)
            removed.append(name)
    return removed
