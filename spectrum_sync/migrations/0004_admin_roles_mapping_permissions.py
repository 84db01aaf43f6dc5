"""Give the roles their permissions on the mapping and notification models, which exist only now."""

from django.db import migrations



def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from spectrum_sync.adminsite.roles import sync_roles

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("spectrum_sync", "0003_admin_roles"),
        ("mappings", "0001_mapping_tables"),
        ("notifications", "0001_notifications"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
