"""Data-layer analysis: what the database itself enforces (Postgres RLS, Firebase rules).

Route checks can only see whether code asks "who is this?"; for Supabase and Firebase apps the browser talks
to the database directly, so the answer lives in migrations and rules files. These modules build a model of
those files and turn it into `authz` findings; wiring them into the check is done elsewhere.
"""

from __future__ import annotations

from handrail.datalayer.firebase import firebase_findings
from handrail.datalayer.pgmodel import PgModel, build_model, replay
from handrail.datalayer.rls import rls_findings

__all__ = ["PgModel", "build_model", "firebase_findings", "replay", "rls_findings"]
