"""JSON bodies must be valid Unicode text all through, or they are refused with a 400."""

import json

from ninja.errors import HttpError
from ninja.parser import Parser


class StrictJSONParser(Parser):
    def parse_body(self, request):
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, "The request body is not valid JSON.") from None
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise HttpError(400, "The request body holds text that is not valid Unicode.") from None
        return data
