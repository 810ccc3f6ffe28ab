"""backups: is there a backup before every migration?"""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class Backups(NotAnalysedYet):
    id = "backups"
    question = "Is there a backup before every migration?"
    why = ("A migration that drops or rewrites data cannot be undone by redeploying code; without a "
           "verified backup taken right before it, the data is gone.")
    fix = "Run migrations through `handrail migrate -- <your migrate command>`, which backs up and verifies first."
    good_example = "release: handrail migrate -- php artisan migrate --force"
    bad_example = "release: php artisan migrate --force"
    coming_with = "migration and backup analysis is not built yet"


CHECK = Backups()
