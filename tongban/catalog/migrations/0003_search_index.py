"""The text index behind catalog.search: an FTS5 table on SQLite, a GIN index on PostgreSQL."""

from django.db import migrations

SYNONYMS = {
    "饭店": "餐饮 餐馆 食品经营 开饭店",
    "餐馆": "餐饮 食品经营 饭店",
    "开店": "个体工商户 企业设立 营业执照",
    "社保": "社会保险 养老保险 医疗保险 失业保险 工伤保险 参保",
    "医保": "医疗保险 医疗保障",
    "营业执照": "企业设立登记 个体工商户设立登记 设立登记",
    "身份证": "居民身份证",
    "户口": "户籍 户口迁移 落户",
    "落户": "户口迁移 户籍",
    "公积金": "住房公积金",
    "低保": "最低生活保障",
    "房产证": "不动产权证书 不动产登记",
    "房本": "不动产权证书 不动产登记",
    "结婚证": "结婚登记",
    "网吧": "互联网上网服务营业场所",
    "ktv": "歌舞娱乐场所 娱乐场所",
    "歌厅": "歌舞娱乐场所 娱乐场所",
    "药店": "药品零售",
    "幼儿园": "学前教育 民办幼儿园",
    "盖房": "宅基地 建设工程规划许可 施工许可",
    "施工证": "施工许可",
    "退休": "养老保险 退休",
    "生孩子": "出生 生育 新生儿",
    "准生证": "生育登记 生育服务",
    "开公司": "企业设立登记 企业开办",
    "理发店": "公共场所卫生许可",
    "美容院": "公共场所卫生许可",
    "宾馆": "公共场所卫生许可 特种行业许可 旅馆业",
    "酒店": "公共场所卫生许可 旅馆业 餐饮",
}


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE catalog_search_fts USING fts5(title, body, initials, tokenize = 'unicode61 remove_diacritics 0')"
        )
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE INDEX catalog_searchentry_vector_gin ON catalog_searchentry USING gin (vector)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS catalog_search_fts")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS catalog_searchentry_vector_gin")


def seed_synonyms(apps, schema_editor):
    Synonym = apps.get_model("catalog", "Synonym")
    for term, expansions in SYNONYMS.items():
        Synonym.objects.update_or_create(term=term, defaults={"expansions": expansions})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(seed_synonyms, migrations.RunPython.noop),
    ]
