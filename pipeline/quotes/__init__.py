"""Does the source still say it? Quote checking and drift since the citation (issue 20).

Data flows one way through small modules:

- ``find``: citing text → quotations (``quotes_in``); a quotation + a text → ``QuoteMatch``;
- ``pagetext``: a Fetch and its LinkCheck → ``PageText`` (main text, or why it cannot be read);
- ``copies``: a URL + the citation time → ``CitedCopy`` (the Wayback copy from then, kept in
  archive/cited-copies/);
- ``check``: quotations + today's and then's PageText → ``QuoteCheck`` per quotation, and
  ``deviated`` (the only evidence for ``url_status: deviated``);
- ``drift``: then's and today's PageText → ``Drift``;
- ``verdicts``: the vocabulary (QuoteVerdict, Unreadable, Where, DriftVerdict) and the two
  result types as JSON;
- ``stage``: the above in a run — each citation's citing text and citation time in, its
  ``quotes`` and ``drift`` out, read while the check holds each page and after the archive
  stage for the copies not kept yet.
"""
