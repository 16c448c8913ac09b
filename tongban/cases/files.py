"""Uploaded materials: the type is read from the content, never from the file name."""

from tongban.core.errors import DomainError

MAX_BYTES = 20 * 1024 * 1024
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
    """The content type of an acceptable upload (PDF, JPG, PNG, OFD up to 20 MB), or a DomainError."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise DomainError("file_too_large", f"文件“{file.name}”超过20MB,请压缩后上传", field="file")
    if size == 0:
        raise DomainError("file_empty", f"文件“{file.name}”是空文件", field="file")
    file.seek(0)
    head = file.read(1024)
    content_type = sniff(head, file)
    file.seek(0)
    if content_type is None:
        raise DomainError("file_type", f"文件“{file.name}”不是PDF、JPG、PNG或OFD格式(按文件内容识别)", field="file")
    return content_type


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
