from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_tag")]
    operations = [
        migrations.RunSQL("INSERT INTO notes_tag (name, note_id) SELECT 'legacy', id FROM legacy_notes"),
    ]
