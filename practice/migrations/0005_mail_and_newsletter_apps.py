"""Mail delivery and the newsletter move out of the practice app, keeping every table and row.

``mail.0001`` and ``newsletter.0001`` declared the models on their old tables. The practice app then
works on its own (old) state of those tables, so that SQLite rebuilds them whole, in three steps,
each its own transaction (PostgreSQL alters no table while a data change's foreign-key checks are
pending):

* 0005 (this one) adds the batch columns: outbox row → batch, campaign → batch;
* 0006 gives each campaign that has messages a batch, and ties its messages to it and to the
  newsletter's personaliser, which asks at send time whether the subscriber still wants it;
* 0007 adds the outbox's new indexes, drops its campaign and subscriber columns (the mail app must
  not know them), renames the content types so permissions, role groups and the admin's history
  follow, and forgets the old models.

They depend on the new apps' first migrations because they hand their data over: the standard way
to move models between apps, and the one place the practice app names them.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0004_outbound_email_attachments"),
        ("mail", "0001_initial"),
        ("newsletter", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="mail.batch",
                verbose_name="batch",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="batch",
            field=models.OneToOneField(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="campaign",
                to="mail.batch",
            ),
        ),
    ]
