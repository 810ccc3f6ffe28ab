"""authz: do private routes check authentication and ownership?"""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class Authz(NotAnalysedYet):
    id = "authz"
    question = "Do private routes check authentication and ownership (and does the database enforce it)?"
    why = ("AI-generated handlers often fetch a record by id without checking it belongs to the caller, and "
           "Supabase tables ship without Row Level Security: any user can read any other user's data.")
    fix = "Require authentication on every non-public route and scope every query by the current user."
    good_example = "Invoice.objects.get(pk=pk, owner=request.user)"
    bad_example = "Invoice.objects.get(pk=pk)  # any logged-in user reads any invoice"
    coming_with = "route and data-layer (RLS, rules) analysis is not built yet"


CHECK = Authz()
