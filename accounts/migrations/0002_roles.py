"""Create the two roles as groups with their permissions."""

from django.db import migrations

AGENT_ROLE = "LiveChat Agent"
MANAGER_ROLE = "LiveChat Manager"

AGENT_PERMISSIONS = [("accounts", "user", "serve_livechat", "Can serve omnichannel chats")]
MANAGER_PERMISSIONS = AGENT_PERMISSIONS + [
    ("accounts", "user", "supervise_livechat", "Can supervise the contact center"),
    ("accounts", "user", "view_user", "Can view user"),
    ("accounts", "user", "change_user", "Can change user"),
    ("accounts", "department", "view_department", "Can view department"),
    ("accounts", "department", "add_department", "Can add department"),
    ("accounts", "department", "change_department", "Can change department"),
    ("accounts", "departmentagent", "view_departmentagent", "Can view department membership"),
    ("accounts", "departmentagent", "add_departmentagent", "Can add department membership"),
    ("accounts", "departmentagent", "change_departmentagent", "Can change department membership"),
    ("accounts", "departmentagent", "delete_departmentagent", "Can delete department membership"),
]


def permissions_for(apps, specs):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    found = []
    for app_label, model, codename, name in specs:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        found.append(permission)
    return found


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    agent, _ = Group.objects.get_or_create(name=AGENT_ROLE)
    agent.permissions.add(*permissions_for(apps, AGENT_PERMISSIONS))
    manager, _ = Group.objects.get_or_create(name=MANAGER_ROLE)
    manager.permissions.add(*permissions_for(apps, MANAGER_PERMISSIONS))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[AGENT_ROLE, MANAGER_ROLE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
