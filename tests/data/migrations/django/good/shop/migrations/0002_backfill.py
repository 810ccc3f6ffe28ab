from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


def forwards(apps, schema_editor):
    apps.get_model("shop", "Order").objects.update(total=0)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.AddField("order", "note", models.TextField(null=True)),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunSQL("UPDATE shop_order SET note = '';", reverse_sql="UPDATE shop_order SET note = NULL;"),
        AddIndexConcurrently("order", models.Index(fields=["total"], name="order_total_idx")),
    ]
