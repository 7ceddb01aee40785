"""Preservation: history of checks, Wayback Machine, local WARC copies.

Kept import-light on purpose: ``history`` is needed by every check, the Wayback and
WARC machinery only by the archive stage (``pipeline.archive.stage``).
"""
