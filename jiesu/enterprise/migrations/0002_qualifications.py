"""The qualifications policies commonly ask for; more are added in the admin."""

from django.db import migrations

QUALIFICATIONS = [
    ("high_tech", "高新技术企业"),
    ("tech_sme", "科技型中小企业"),
    ("srdi_sme", "专精特新中小企业"),
    ("little_giant", "专精特新“小巨人”企业"),
    ("above_scale", "规模以上企业"),
    ("innovative_sme", "创新型中小企业"),
    ("foreign_invested", "外商投资企业"),
    ("key_enterprise", "重点企业"),
]


def add(apps, schema_editor):
    Qualification = apps.get_model("enterprise", "Qualification")
    for code, name in QUALIFICATIONS:
        Qualification.objects.get_or_create(code=code, defaults={"name": name})


def remove(apps, schema_editor):
    apps.get_model("enterprise", "Qualification").objects.filter(code__in=[c for c, _ in QUALIFICATIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("enterprise", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
