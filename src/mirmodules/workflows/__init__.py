"""Files in, run folder out: ``run``, ``evaluate``, ``compare``, ``stability`` and ``batch``."""
