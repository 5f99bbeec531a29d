"""The web service: JSON API under /api/v1, the agents' page at /, health checks, OpenAPI and its docs page.

`create_app(settings, engine)` builds everything; shared objects live in `app.extensions`:
  "settings"   the Settings
  "engine"     the loaded Suggester (absent while the model and index are loading: /readyz is 503 then)
  "feedback"   the FeedbackStore (SQLite in settings.data_dir)
  "openapi"    the OpenAPI document (a dict)
  "api_keys", "cors_origins"  see webapp.security
"""

from .app import create_app

__all__ = ["create_app"]
