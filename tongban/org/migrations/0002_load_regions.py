"""Load the shipped GB/T 2260 table (tongban/core/data/regions.csv) into the region tree."""

from django.db import migrations


def load(apps, schema_editor):
    from tongban.org.regions import load_shipped

    load_shipped(apps.get_model("org", "Region"))


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
