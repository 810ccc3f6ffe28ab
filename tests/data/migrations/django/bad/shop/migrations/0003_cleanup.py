from django.db import migrations


def wipe(apps, schema_editor):
    apps.get_model("shop", "Order").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_backfill")]
    operations = [
        migrations.RemoveField(model_name="order", name="note"),  # expect: migration-destructive
        migrations.DeleteModel(name="Coupon"),  # expect: migration-destructive
        migrations.RenameField("order", "total", "amount"),  # expect: migration-destructive
        migrations.RunPython(wipe),  # expect: migration-irreversible
        migrations.RunSQL("TRUNCATE shop_log;"),  # expect: migration-destructive
    ]
