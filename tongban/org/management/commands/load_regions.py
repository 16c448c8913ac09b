from django.core.management.base import BaseCommand

from tongban.core.regions import table_edition
from tongban.org.regions import load_shipped


class Command(BaseCommand):
    help = "把随附的县级以上行政区划代码表载入数据库(新增代码、更新名称;管理员新增或停用的区划保持不变)"

    def handle(self, *args, **options):
        n = load_shipped()
        self.stdout.write(f"{table_edition()}\n新增 {n} 个区划")
