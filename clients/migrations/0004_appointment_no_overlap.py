"""On PostgreSQL, let the database itself refuse two overlapping appointments for one therapist.

The booking service already checks under a lock; this is the guard behind it. It needs the
btree_gist extension (trusted since PostgreSQL 13, so a database owner may create it). Where the
extension cannot be created the constraint is left out and the locked check stands alone. Other
databases (SQLite) rely on the check: their write transactions are serial.
"""

from django.db import migrations, transaction

CONSTRAINT = "appointment_therapist_no_overlap"
ADD = f"""
ALTER TABLE clients_appointment ADD CONSTRAINT {CONSTRAINT}
EXCLUDE USING gist (therapist_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
WHERE (status <> 'cancelled')
"""


def add(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    except Exception:  # noqa: BLE001 - no privilege to create it: the service's locked check remains
        return
    with connection.cursor() as cursor:
        cursor.execute(ADD)


def remove(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE clients_appointment DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("clients", "0003_appointments")]

    operations = [migrations.RunPython(add, remove)]
