"""secrets: are there secrets in the repository (tree, staged changes, history)?"""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class Secrets(NotAnalysedYet):
    id = "secrets"
    question = "Are there secrets in the repository, including its git history?"
    why = ("A key committed once stays in history after it is 'removed'; AI-built apps routinely paste "
           "service keys into components, migrations and .env files that end up pushed.")
    fix = "Rotate the key first, then remove it from the tree and history; load it from the environment."
    good_example = "STRIPE_SECRET_KEY=  # in .env.example; the real value lives in the deploy platform"
    bad_example = "const stripe = new Stripe('sk_live_...')  // committed"
    coming_with = "the secret scanner (tree, staged changes and full git history) is not built yet"


CHECK = Secrets()
