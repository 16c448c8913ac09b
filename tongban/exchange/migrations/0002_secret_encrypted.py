"""The subscriptions' signing secrets move from plain text to a Fernet token (tongban.exchange.crypto)."""

from django.db import migrations, models


def encrypt_secrets(apps, schema_editor):
    from tongban.exchange.crypto import encrypt

    Subscription = apps.get_model("exchange", "Subscription")
    for sub in Subscription.objects.only("pk", "secret").iterator():
        Subscription.objects.filter(pk=sub.pk).update(secret_encrypted=encrypt(sub.secret), secret="")


def decrypt_secrets(apps, schema_editor):
    from tongban.exchange.crypto import decrypt

    Subscription = apps.get_model("exchange", "Subscription")
    for sub in Subscription.objects.only("pk", "secret_encrypted").iterator():
        Subscription.objects.filter(pk=sub.pk).update(secret=decrypt(sub.secret_encrypted))


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="subscription", name="secret_encrypted",
            field=models.TextField(default="", help_text="HMAC-SHA256 签名用,双方共享;Fernet 加密(exchange.crypto)",
                                   verbose_name="签名密钥(加密存储)"),
            preserve_default=False,
        ),
        migrations.AlterField(model_name="subscription", name="secret",
                              field=models.CharField(blank=True, default="", max_length=128, verbose_name="签名密钥")),
        migrations.RunPython(encrypt_secrets, decrypt_secrets, elidable=False),
        migrations.RemoveField(model_name="subscription", name="secret"),
    ]
