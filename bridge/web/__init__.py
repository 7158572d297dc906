"""The HTTP API: settings, problem responses, OpenAPI and one blueprint per resource.

``bridge.app.create_app`` assembles these parts into a Flask application.
"""
