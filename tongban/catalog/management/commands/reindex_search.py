from django.core.management.base import BaseCommand
from django.db import transaction

from tongban.catalog import search
from tongban.catalog.models import Bundle, ItemVersion, PubStatus


class Command(BaseCommand):
    help = "重建事项检索索引(分词或拼音首字母规则变更后运行)"

    def handle(self, *args, **options):
        n = 0
        with transaction.atomic():
            for v in ItemVersion.objects.filter(status=PubStatus.PUBLISHED).select_related("item__department", "item__region").prefetch_related("materials", "topics"):
                search.write_entry(search.item_version_entry(v))
                n += 1
            for b in Bundle.objects.filter(status=PubStatus.PUBLISHED):
                names = [v.name for e in b.entries.select_related("item") for v in [e.item.versions.effective().first()] if v]
                search.write_entry(search.bundle_entry(b, names))
                n += 1
        self.stdout.write(f"已重建 {n} 条检索记录")
