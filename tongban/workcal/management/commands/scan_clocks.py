from django.core.management.base import BaseCommand

from tongban.workcal.scan import scan_lights


class Command(BaseCommand):
    help = "立即扫描所有计时中的时钟,更新亮灯并记录黄牌/红牌预警(按需执行)。"

    def handle(self, *args, **options):
        result = scan_lights()
        self.stdout.write(f"{result['day']}:亮灯变化 {result['changed']} 个,新增预警 {result['warnings']} 条")
