"""The reports app: PDF (WeasyPrint), DOCX (python-docx) and SVG charts."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Documents out: the same frame and charts on screen, on paper and in Word."""

    name = "norma.reports"
    label = "reports"
    verbose_name = "Reports (PDF, DOCX, XLSX)"
