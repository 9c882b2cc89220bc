from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """Where a contact writes from."""

    LIVECHAT = "livechat", _("Website chat")
    FACEBOOK = "facebook", _("Facebook Messenger")
    API = "api", _("API")


class GuestNumber(models.Model):
    """A counter that never repeats: each nameless contact takes the next row's id."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("guest number")

    def __str__(self) -> str:
        return f"guest-{self.pk}"


class Contact(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    guest_number = models.PositiveBigIntegerField(_("guest number"), null=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return f"guest-{self.guest_number}" if self.guest_number else f"guest-{self.pk}"


class ContactIdentity(models.Model):
    """How a contact is known on one channel: a visitor token's hash, a Facebook PSID, ..."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("external id"), max_length=255)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel identity")
        verbose_name_plural = _("channel identities")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="unique_identity_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.external_id}"
