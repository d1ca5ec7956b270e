"""API tokens get a scope. A token that could deliver messages (`can_ingest`) was a mail
server's: it becomes ingest-only; every other token keeps what it could do, read and write."""

from django.db import migrations, models


def scopes_from_can_ingest(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(can_ingest=True).update(scope="ingest")
    ApiToken.objects.filter(can_ingest=False).update(scope="read_write")


def can_ingest_from_scopes(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(scope__in=("ingest", "admin")).update(can_ingest=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[
                    ("ingest", "alleen berichten aanleveren"),
                    ("read", "lezen"),
                    ("read_write", "lezen en schrijven"),
                    ("admin", "alles (beheer)"),
                ],
                default="read_write",
                help_text=(
                    "Alleen aanleveren: voor mailservers die ruwe e-mail afleveren op "
                    "/api/v1/inbound/email; zo'n token leest geen tickets of klanten."
                ),
                max_length=12,
                verbose_name="bevoegdheid",
            ),
        ),
        migrations.RunPython(scopes_from_can_ingest, can_ingest_from_scopes),
        migrations.RemoveField(model_name="apitoken", name="can_ingest"),
    ]
