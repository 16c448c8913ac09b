from django.core.management.base import BaseCommand

from tongban.demo.load import load_all
from tongban.org.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "载入演示数据(济宁市、曲阜市、汶上县):组织机构、事项目录、一件事、审批流程、演示办件、演示账号。重复运行不会重复载入。"

    def handle(self, *args, **options):
        result = load_all()
        if result["loaded_now"]:
            self.stdout.write(self.style.SUCCESS(
                f"演示数据已载入:事项 {result['items']} 个(其中下放县级 {result['delegated']} 个),一件事 {result['bundles']} 个。"
            ))
        else:
            self.stdout.write(f"演示数据已存在(事项 {result['items']} 个),未重复载入。")
        if result.get("cases"):
            self.stdout.write(f"演示办件 {result['cases']} 件(综合受理工作台:/hall/)。")
        self.stdout.write("\n演示账号(密码均为 %s):" % DEMO_PASSWORD)
        for username, name, role in result["accounts"]:
            self.stdout.write(f"  {username:<14} {name:<6} {role}")
        self.stdout.write("")
