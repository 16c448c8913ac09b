"""The shipped table now covers every province to county level: bring existing databases up to it."""

from django.db import migrations


def load(apps, schema_editor):
    from tongban.org.regions import load_shipped

    load_shipped(apps.get_model("org", "Region"))


class Migration(migrations.Migration):
    dependencies = [("org", "0004_region_validity")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
