"""Load the shipped GB/T 2260 table (tongban/core/data/regions.csv) into the region tree."""

from django.db import migrations


def load(apps, schema_editor):
    from tongban.core.regions import DATA_FILE, read_rows

    Region = apps.get_model("org", "Region")
    by_code = {}
    for row in sorted(read_rows(DATA_FILE), key=lambda r: (r.level, r.code)):
        parent = by_code.get(row.parent)
        path = (parent.path if parent else "") + row.code + "/"
        obj, _ = Region.objects.update_or_create(
            code=row.code, defaults={"name": row.name, "level": row.level, "parent": parent, "path": path}
        )
        by_code[row.code] = obj


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
