"""A faster `serialized_rollback` for the transactional tests (browser, live-server and concurrency tests).

Django reloads the data the migrations put in the test database (the national region table, the official calendar,
the search synonyms, content types) after each such test by deserializing its JSON and saving every row one by one:
tens of thousands of INSERTs, 10-20 s per test. Here the JSON is parsed once per process and each table is put back
with bulk inserts. Rows that the flush's post_migrate signal recreated (content types, permissions) are deleted first.
"""

from io import StringIO

from django.core import serializers
from django.db import transaction
from django.db.backends.base.creation import BaseDatabaseCreation

_parsed: dict = {}


def _parse(alias: str, data: str) -> list:
    key = (alias, hash(data))
    if key not in _parsed:
        tables: dict = {}
        for obj in serializers.deserialize("json", StringIO(data), using=alias):
            model = type(obj.object)
            rows, links = tables.setdefault(model, ([], []))
            rows.append({f.attname: getattr(obj.object, f.attname) for f in model._meta.concrete_fields})
            for name, pks in (obj.m2m_data or {}).items():
                field = model._meta.get_field(name)
                through = field.remote_field.through
                source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
                links.extend((through, {f"{source}_id": obj.object.pk, f"{target}_id": pk}) for pk in pks)
        _parsed[key] = list(tables.items())
    return _parsed[key]


def deserialize_db_from_string(self, data):
    connection = self.connection
    alias = connection.alias
    tables = _parse(alias, data)
    names = set()
    with transaction.atomic(using=alias):
        with connection.constraint_checks_disabled():
            for model, (rows, links) in tables:
                names.add(model._meta.db_table)
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
                model._base_manager.db_manager(alias).bulk_create([model(**row) for row in rows])
                by_through: dict = {}
                for through, row in links:
                    by_through.setdefault(through, []).append(through(**row))
                for through, objs in by_through.items():
                    names.add(through._meta.db_table)
                    through._base_manager.db_manager(alias).bulk_create(objs)
        connection.check_constraints(table_names=names)


def install():
    BaseDatabaseCreation.deserialize_db_from_string = deserialize_db_from_string
