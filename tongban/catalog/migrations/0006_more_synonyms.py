"""Everyday words a county's citizens type for the items a migration brings (补交 for 补缴, 社保卡 …)."""

from django.db import migrations

SYNONYMS = {
    "补交": "补缴",
    "补办": "补证 补领 遗失补办",
    "社保卡": "社会保障卡",
    "养老金": "养老保险 养老待遇",
    "转社保": "保险关系转移 关系转出 关系转入",
    "社保转移": "保险关系转移 关系转出 关系转入",
    "失业金": "失业保险金",
    "工伤": "工伤认定 工伤保险",
    "开餐馆": "食品经营 餐饮",
    "办证": "登记 许可 核发",
}


def seed(apps, schema_editor):
    Synonym = apps.get_model("catalog", "Synonym")
    for term, expansions in SYNONYMS.items():
        Synonym.objects.get_or_create(term=term, defaults={"expansions": expansions})  # an administrator's edit wins


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_external_codes_and_correction")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
