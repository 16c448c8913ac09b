from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.workflow.seal import provider


class Command(BaseCommand):
    help = "校验决定文书 PDF 的电子印章(PAdES):是否签章、签章后是否被修改、证书是否为本平台机关印章。"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在:{file}")
        check = provider().verify(path.read_bytes())
        if not check.ok:
            raise CommandError(check.describe())
        self.stdout.write(self.style.SUCCESS(check.describe()))
