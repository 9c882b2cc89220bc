from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OmnichannelConfig(AppConfig):
    name = "omnichannel"
    verbose_name = _("Omnichannel")

    def ready(self) -> None:
        from django.contrib import admin

        from omnichannel.supervision import grant_manager_permissions

        post_migrate.connect(grant_manager_permissions, dispatch_uid="grant_manager_permissions")
        admin.site.index_template = "admin/console_index.html"
        admin.site.site_header = _("Contact Center: supervisor console")
        admin.site.site_title = _("Supervisor console")
