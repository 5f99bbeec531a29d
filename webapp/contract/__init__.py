"""The public API's contract: typed request and response bodies (pydantic) and the OpenAPI document spectree
builds from them and from the routes they are bound to.

  fields     the field types the bodies share (a non-blank text, a whole number) and the web layer's own limits
  requests   the request bodies, built for the limits of the settings the server runs with
  responses  the response bodies, and the one error shape
  body       reading a request's JSON before the models see it (400 for what is not a JSON object)
  problems   a model's refusal as the API's error (code, message, field)
  document   which route takes and answers which body; `install(app)` binds them and builds the document
"""

from .document import document, install, validated

__all__ = ["document", "install", "validated"]
