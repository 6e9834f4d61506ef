from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "norma.reviews"
    label = "reviews"
    verbose_name = "Management review"

    def ready(self):
        from norma.reviews import registers  # noqa: F401  (they declare themselves)
