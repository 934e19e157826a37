"""UPN -> pseudonymous pupil id. Keyed, so ids cannot be reversed by hashing known UPNs."""

from __future__ import annotations

import hashlib
import hmac


def pupil_id_for(upn: str, key: bytes) -> str:
    return hmac.new(key, upn.encode(), hashlib.sha256).hexdigest()[:32]
