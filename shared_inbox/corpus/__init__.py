"""Realistic, deterministic support mail for tests, benchmarks and demos.

Pure standard library, so it can seed a test server or a demo without extra installs.
"""

from shared_inbox.corpus.demo import support_mail_demo
from shared_inbox.corpus.generator import generate
from shared_inbox.corpus.output import write_eml_dir, write_mbox

__all__ = ["generate", "support_mail_demo", "write_eml_dir", "write_mbox"]
