"""Retire DRF's plain-text tokens: each one still in ``authtoken_token`` becomes a hashed ApiToken that expires in
90 days (so scripts keep working while their owners make named tokens), then the plain-text table is dropped."""

import hashlib
from datetime import timedelta

from django.db import migrations

TABLE = "authtoken_token"


def hash_and_drop(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if TABLE not in connection.introspection.table_names(cursor):
            return
        cursor.execute(f"SELECT key, user_id FROM {TABLE}")  # noqa: S608 - a constant table name
        rows = cursor.fetchall()
    from django.utils import timezone

    ApiToken = apps.get_model("accounts", "ApiToken")
    expires = timezone.now() + timedelta(days=90)
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id,
            name="Token from before tokens were hashed",
            token_hash=hashlib.sha256(key.encode()).hexdigest(),
            prefix=key[:8],
            expires_at=expires,
        )
        for key, user_id in rows
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_api_token"), ("contenttypes", "0002_remove_content_type_name")]

    operations = [migrations.RunPython(hash_and_drop, migrations.RunPython.noop)]
