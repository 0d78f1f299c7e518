"""SQL of the bid hot path, run on the request's own connection and so inside its transaction."""

# One statement locks the competition FOR SHARE (an amendment's FOR UPDATE waits for it, and it for
# the amendment) and reads what the checks need: the database clock, the invitation, the admission,
# the supplier's bid and a replayed Idempotency-Key. One statement writes the version and moves the
# bid to it; a race it loses (the same supplier's concurrent submission) falls back to a row lock.

from typing import Any

from psycopg.rows import namedtuple_row
from sqlmodel import Session

from procurement.core import audit
from procurement.core.db import driver_connection

CONTEXT = """
SELECT c.state, c.tender_deadline, c.terms_version, c.quality_criteria, k.public_key,
       i.supplier_id, clock_timestamp() AS db_now,
       ARRAY(SELECT code FROM lot WHERE lot.competition_id = c.id) AS lot_codes,
       a.state AS admission_state, a.suspended_until, a.suspension_reason,
       b.id AS bid_id, b.state AS bid_state, b.current_version,
       r.bid_id AS replay_bid_id, r.version AS replay_version, r.received_at AS replay_received_at,
       r.sha256 AS replay_sha256, rb.competition_id AS replay_competition_id
FROM competition c
LEFT JOIN competition_key k ON k.competition_id = c.id
LEFT JOIN supplier s ON s.business_id = %(business_id)s
LEFT JOIN invitation i ON i.competition_id = c.id AND i.supplier_id = s.id
LEFT JOIN LATERAL (
    -- The admission in force; after an exclusion and no new admission, the excluded one.
    SELECT state, suspended_until, suspension_reason FROM admission
    WHERE dps_id = c.dps_id AND supplier_id = s.id AND category_code = c.category_code
    ORDER BY state = 'excluded', admitted_at DESC LIMIT 1
) a ON true
LEFT JOIN bid b ON b.competition_id = c.id AND b.supplier_id = s.id
LEFT JOIN bid_version r ON r.supplier_id = s.id AND r.idempotency_key = %(key)s
LEFT JOIN bid rb ON rb.id = r.bid_id
WHERE c.id = %(competition_id)s
FOR SHARE OF c
"""

# A first version also starts the bid's audit chain in the same statement (one round trip for all).
FIRST_VERSION = (
    """
WITH new_bid AS (
    INSERT INTO bid (id, competition_id, supplier_id, state, current_version, needs_confirmation,
                     created_at, updated_at)
    VALUES (%(bid_id)s, %(competition_id)s, %(supplier_id)s, 'submitted', 1, false,
            %(received_at)s, %(received_at)s)
    ON CONFLICT (competition_id, supplier_id) DO NOTHING
    RETURNING id
), version AS (
    INSERT INTO bid_version (bid_id, version, supplier_id, received_at, sha256, terms_version, ciphertext,
                             nonce, ephemeral_public_key, idempotency_key, supplier_copy)
    SELECT id, 1, %(supplier_id)s, %(received_at)s, %(sha256)s, %(terms_version)s, %(ciphertext)s, %(nonce)s,
           %(ephemeral_public_key)s, %(key)s, %(supplier_copy)s
    FROM new_bid
    ON CONFLICT DO NOTHING
    RETURNING version
), audited AS (
    SELECT version FROM version
),"""  # noqa: S608 (constants joined: no input in the text)
    + audit.FIRST_RECORD_CTES
    + """
SELECT (SELECT count(*) FROM new_bid) AS bid_rows, (SELECT count(*) FROM version) AS version_rows
"""
)

NEXT_VERSION = """
WITH version AS (
    INSERT INTO bid_version (bid_id, version, supplier_id, received_at, sha256, terms_version, ciphertext,
                             nonce, ephemeral_public_key, idempotency_key, supplier_copy)
    VALUES (%(bid_id)s, %(version)s, %(supplier_id)s, %(received_at)s, %(sha256)s, %(terms_version)s,
            %(ciphertext)s, %(nonce)s, %(ephemeral_public_key)s, %(key)s, %(supplier_copy)s)
    ON CONFLICT DO NOTHING
    RETURNING bid_id, version
), moved AS (
    UPDATE bid SET current_version = version.version, state = 'submitted', needs_confirmation = false,
                   withdrawn_at = NULL, updated_at = %(received_at)s
    FROM version
    WHERE bid.id = version.bid_id AND bid.current_version = %(version)s - 1
    RETURNING bid.id
)
SELECT (SELECT count(*) FROM moved) AS bid_rows, (SELECT count(*) FROM version) AS version_rows
"""

LOCK_BID = """
INSERT INTO bid (id, competition_id, supplier_id, state, current_version, needs_confirmation,
                 created_at, updated_at)
VALUES (%(bid_id)s, %(competition_id)s, %(supplier_id)s, 'submitted', 0, false, %(at)s, %(at)s)
ON CONFLICT (competition_id, supplier_id) DO UPDATE SET updated_at = EXCLUDED.updated_at
RETURNING id, state, current_version
"""

BY_KEY = """
SELECT v.bid_id AS replay_bid_id, v.version AS replay_version, v.received_at AS replay_received_at,
       v.sha256 AS replay_sha256, b.competition_id AS replay_competition_id
FROM bid_version v JOIN bid b ON b.id = v.bid_id
WHERE v.supplier_id = %(supplier_id)s AND v.idempotency_key = %(key)s
"""

OWN_BID = """
SELECT b.id, b.state, b.current_version, b.needs_confirmation, b.competition_id,
       c.state AS competition_state, c.tender_deadline, clock_timestamp() AS db_now,
       v.received_at, v.sha256,
       ARRAY(SELECT a.seq FROM amendment a WHERE a.competition_id = c.id AND a.seq > v.terms_version
             AND a.changes ? 'quality_criteria' ORDER BY a.seq) AS criteria_amended
FROM bid b
JOIN supplier s ON s.id = b.supplier_id AND s.business_id = %(business_id)s
JOIN competition c ON c.id = b.competition_id
JOIN bid_version v ON v.bid_id = b.id AND v.version = b.current_version
WHERE b.id = %(bid_id)s
FOR UPDATE OF b FOR SHARE OF c
"""

OWN_CONTENT = """
SELECT b.id, b.state, b.current_version, b.supplier_id, b.competition_id,
       c.state AS competition_state, c.tender_deadline, clock_timestamp() AS db_now,
       v.received_at, v.sha256, v.supplier_copy
FROM bid b
JOIN supplier s ON s.id = b.supplier_id AND s.business_id = %(business_id)s
JOIN competition c ON c.id = b.competition_id
JOIN bid_version v ON v.bid_id = b.id AND v.version = b.current_version
WHERE b.id = %(bid_id)s
"""


def one(session: Session, sql: str, params: dict[str, Any]) -> Any:
    """Run a statement on the session's connection (its transaction) and return the first row or None."""
    with driver_connection(session).cursor(row_factory=namedtuple_row) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
