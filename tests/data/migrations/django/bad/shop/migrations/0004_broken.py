from django.db import migrations


class Migration(migrations.Migration):
    operations = [
        migrations.RemoveField(model_name="order", name=  # expect: migration-unparsed
