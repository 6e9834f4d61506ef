"""API answers keep the API's error shape even when Django, not the API, answers."""

from django.http import JsonResponse

from norma.api.errors import error_body

MESSAGES = {
    404: "Not found.",
    405: "This method is not allowed here.",
}


class ApiErrorShapeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in MESSAGES
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            shaped = JsonResponse(
                error_body(MESSAGES[response.status_code]), status=response.status_code
            )
            if "Allow" in response:
                shaped["Allow"] = response["Allow"]
            return shaped
        return response
