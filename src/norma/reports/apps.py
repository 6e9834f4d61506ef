from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "norma.reports"
    label = "reports"
    verbose_name = "Reports (PDF, DOCX, XLSX)"
