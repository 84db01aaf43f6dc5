"""Give implementation staff the link screen: the roles are synced again now that its models exist."""

from django.db import migrations


def sync_roles_with_links(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from spectrum_sync.adminsite.roles import sync_roles

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("linking", "0001_links_and_directory"),
        ("spectrum_sync", "0012_type_names_without_choices"),
        ("mappings", "0003_type_names_without_choices"),
        ("notifications", "0001_notifications"),
    ]

    operations = [migrations.RunPython(sync_roles_with_links, migrations.RunPython.noop)]
