"""Accountants may add mapping rows (a failed document often needs a new one); date ranges get roles too."""

from django.db import migrations


def sync_role_permissions(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from spectrum_sync.adminsite.roles import sync_roles

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("spectrum_sync", "0005_record_lost_claims"),
        ("mappings", "0002_gl_company_and_date_ranges"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
