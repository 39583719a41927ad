from django.db import migrations, models

# The outbox's two unique fields become unique constraints of the same names, so the database keeps its
# unique indexes as they are (no rebuild, which on a host's large outbox would block sending during the
# deploy) and only loses the ``LIKE`` indexes that ``unique=True`` adds on PostgreSQL. ``DROP INDEX IF
# EXISTS`` is the same statement on SQLite, where those indexes never existed. Going back leaves them out:
# nothing reads them.
PATTERN_INDEXES = (
    "practice_outboundemail_idempotency_key_8f8256bc_like",
    "practice_outboundemail_message_id_dd0789e5_like",
)


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0005_claim_single_messages_first"),
        ("practice", "0007_mail_and_newsletter_apps_done"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="outboundemail",
                    name="idempotency_key",
                    field=models.CharField(max_length=200, verbose_name="idempotency key"),
                ),
                migrations.AlterField(
                    model_name="outboundemail",
                    name="message_id",
                    field=models.CharField(max_length=250, verbose_name="Message-ID"),
                ),
                migrations.AddConstraint(
                    model_name="outboundemail",
                    constraint=models.UniqueConstraint(
                        fields=("idempotency_key",), name="practice_outboundemail_idempotency_key_key"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="outboundemail",
                    constraint=models.UniqueConstraint(
                        fields=("message_id",), name="practice_outboundemail_message_id_key"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f"DROP INDEX IF EXISTS {name}", reverse_sql=migrations.RunSQL.noop)
                for name in PATTERN_INDEXES
            ],
        ),
    ]
