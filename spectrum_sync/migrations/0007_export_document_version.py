import django.db.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("spectrum_sync", "0006_accountant_adds_mappings"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncrecord",
            name="body_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="syncrecord",
            constraint=models.UniqueConstraint(
                condition=django.db.models.Q(("direction", "export")),
                fields=("tenant", "object_type", "platform_id", "version"),
                name="syncrec_export_document_version",
            ),
        ),
    ]
