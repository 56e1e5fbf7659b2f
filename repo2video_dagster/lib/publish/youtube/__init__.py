"""YouTube publication through Google's official client (google-api-python-client).

- ``auth``: OAuth refresh-token credentials and the one-time consent flow;
- ``client``: the API client built from the discovery document shipped in the package;
- ``metadata``: title, description, tags and chapters inside YouTube's limits;
- ``upload``: the resumable, chunked ``videos.insert`` that resumes from the server's offset;
- ``store``: one record per (repository, video content) so nothing is uploaded twice;
- ``quota``: the daily units ledger, reset at midnight Pacific time;
- ``publisher``: one publication, step by step, each step recorded.
"""
