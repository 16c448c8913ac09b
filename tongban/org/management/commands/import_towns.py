from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.core.errors import DomainError
from tongban.org.regions import import_towns


class Command(BaseCommand):
    help = "从国家统计局统计用区划代码 CSV(代码、名称两列;9位或12位代码)导入乡级、村级区划"

    def add_arguments(self, parser):
        parser.add_argument("csv", help="UTF-8 CSV,列名如 统计用区划代码,名称 或 code,name")

    def handle(self, *args, csv, **options):
        path = Path(csv)
        if not path.exists():
            raise CommandError(f"找不到文件 {path}")
        try:
            report = import_towns(None, path.read_text(encoding="utf-8-sig"))
        except DomainError as e:
            raise CommandError(e.message) from None
        self.stdout.write(f"新增 {report.added} 个,更名 {report.renamed} 个")
        if report.skipped:
            self.stdout.write(f"上级区划不在代码表中而跳过 {len(report.skipped)} 个:{'、'.join(report.skipped[:20])}")
