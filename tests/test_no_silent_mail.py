"""No mail in Ombuds fails silently: a refused mail is kept and retried, or refused in words, never
counted as sent (`fail_silently` swallows the mail server's error)."""

from __future__ import annotations

from pathlib import Path

import ombuds


def test_no_mail_is_sent_with_fail_silently():
    root = Path(ombuds.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if "fail_silently" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
