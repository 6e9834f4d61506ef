from django.apps import AppConfig
from django.core import checks


class PlanningConfig(AppConfig):
    name = "norma.planning"
    label = "planning"
    verbose_name = "Planning"

    def ready(self):
        from norma.planning import registers  # noqa: F401  (registers declare themselves)

        checks.register(check_risk_bands)


def check_risk_bands(app_configs=None, **kwargs):
    """NORMA_RISK_BANDS must give every score of the 5×5 matrix exactly one band."""
    from django.conf import settings

    from norma.planning.scoring import parse_bands

    try:
        parse_bands(settings.NORMA_RISK_BANDS)
    except ValueError as problem:
        return [checks.Error(f"NORMA_RISK_BANDS: {problem}", id="norma.E001")]
    return []
