from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors from services as field-keyed 400 JSON.

    A Django ``Http404`` (``get_object_or_404`` in the generic views) carries Django's English
    "No Incident matches the given query."; the API answers with its own translated message,
    which also names no model.
    """
    if isinstance(exc, DjangoValidationError):
        data = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = NotFound(_("There is no such object, or you may not see it."))
    return drf_exception_handler(exc, context)
