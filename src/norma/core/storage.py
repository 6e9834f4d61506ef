"""Static files: hashed names and gzip, without brotli.

Brotli at its top quality (used whenever the brotli package is installed, as WeasyPrint's
dependencies do) added ~25 s to every `norma serve` and `norma demo` start on two cores.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class NormaStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs):
        return super().create_compressor(use_brotli=False, **kwargs)
