import django.core.validators
from django.db import migrations, models

import spectrum_sync.fields


def changed_at() -> models.DateTimeField:
    return models.DateTimeField(blank=True, editable=False, null=True)


class Migration(migrations.Migration):
    dependencies = [
        ("spectrum_sync", "0007_export_document_version"),
    ]

    operations = [
        migrations.AddField(model_name="tenant", name="platform_signing_secret_changed_at", field=changed_at()),
        migrations.AddField(model_name="spectrumconnection", name="authorization_id_changed_at", field=changed_at()),
        migrations.AddField(
            model_name="spectrumconnection", name="enhanced_client_secret_changed_at", field=changed_at()
        ),
        migrations.AddField(model_name="spectrumconnection", name="db_password_changed_at", field=changed_at()),
        migrations.AlterField(
            model_name="tenant",
            name="platform_signing_secret",
            field=spectrum_sync.fields.EncryptedTextField(
                blank=True,
                help_text="HMAC-SHA256 key for signing deliveries to the platform.",
                verbose_name="platform signing secret",
            ),
        ),
        migrations.AlterField(
            model_name="spectrumconnection",
            name="authorization_id",
            field=spectrum_sync.fields.EncryptedTextField(
                help_text="The Authorization ID from the Data Exchange Installation screen (max 20 characters).",
                verbose_name="Authorization ID",
            ),
        ),
        migrations.AlterField(
            model_name="spectrumconnection",
            name="enhanced_client_secret",
            field=spectrum_sync.fields.EncryptedTextField(
                blank=True, verbose_name="Enhanced Authentication client secret"
            ),
        ),
        migrations.AlterField(
            model_name="spectrumconnection",
            name="db_password",
            field=spectrum_sync.fields.EncryptedTextField(blank=True, verbose_name="database password"),
        ),
        migrations.AlterField(
            model_name="pollschedule",
            name="interval_minutes",
            field=models.PositiveIntegerField(
                default=30,
                help_text="Minutes between polls (1 or more).",
                validators=[django.core.validators.MinValueValidator(1)],
            ),
        ),
    ]
