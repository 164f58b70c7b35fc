from django.apps import AppConfig


class EnterpriseConfig(AppConfig):
    name = "jiesu.enterprise"
    verbose_name = "企业服务"
