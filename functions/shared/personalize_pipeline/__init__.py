"""Shared core of the Personalize pipeline: every Lambda handler is a thin shell over this package.

Deployed as a Lambda layer (``functions/shared`` is the layer's ContentUri), so each function imports
``personalize_pipeline`` exactly as the tests do.
"""
