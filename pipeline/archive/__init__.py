"""Preservation: the history of checks, archive services, local WARC copies.

Where things are:
- ``layout``: every path under archive/ and the lock a run holds on it;
- ``history``: what each run saw, per URL (needed by every check);
- ``service``: the ArchiveService interface; ``wayback`` (CDX + Save Page Now 2) and
  ``memento`` (RFC 7089 TimeMaps, lookup only) implement it; ``settings`` lists the
  services a run uses — a new archive is a class there-shaped plus one line in
  ``settings.services_for``;
- ``policy``: which copy to offer, which url_status to write; ``stage``: the pool that
  runs it for every URL and saves citations.yaml;
- ``warc``: local copies; ``warc_index``: their index, read and merged a URL at a time;
  ``copies``: addresses that are archived copies.

Kept import-light on purpose: ``history`` and ``layout`` are needed by every check, the
services and WARC machinery only by the archive stage.
"""
