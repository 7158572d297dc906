"""Secrets for the sync: from the environment, else from Google Secret Manager.

``google-cloud-secret-manager`` is not a dependency of the bridge. It is used
only when it is installed and ``GOOGLE_CLOUD_PROJECT`` is set (as on App
Engine), and is imported lazily so that a local run never needs it.
"""

from __future__ import annotations

import logging
import os

from sync.errors import MissingTokenError

logger = logging.getLogger(__name__)

TOKEN_NAME = "HUBSPOT_ACCESS_TOKEN"


def get_secret(name: str) -> str | None:
    """Return the secret ``name`` from the environment or Secret Manager, or None."""
    value = os.environ.get(name)
    if value:
        return value
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        return None
    return _secret_manager_value(project, name)


def get_access_token(name: str = TOKEN_NAME) -> str:
    """Return the HubSpot private-app token or raise ``MissingTokenError``."""
    token = get_secret(name)
    if not token:
        raise MissingTokenError(name)
    return token


def _secret_manager_value(project: str, name: str) -> str | None:
    try:
        from google.cloud import secretmanager  # type: ignore[import-not-found]
    except ImportError:
        logger.debug(
            "google-cloud-secret-manager is not installed; %s only from the environment", name
        )
        return None
    # NOTE: this path has no test, because it needs a Google Cloud project.
    client = secretmanager.SecretManagerServiceClient()
    resource = f"projects/{project}/secrets/{name}/versions/latest"
    try:
        response = client.access_secret_version(name=resource)
    except Exception as error:  # the library raises many google.api_core error types
        logger.warning(
            "Secret %s not readable from Secret Manager in project %s: %s",
            name,
            project,
            type(error).__name__,
        )
        return None
    return response.payload.data.decode("utf-8")
