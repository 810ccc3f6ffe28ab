"""backups: is there a backup before every migration?"""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class Backups(NotAnalysedYet):
    id = "backups"
    question = "Is there a backup before every migration?"
    why = ("A migration that drops or rewrites data cannot be undone by redeploying code; without a "
           "verified backup taken right before it, the data is gone.")
    fix = ("Take a backup right before every migration and check it restores; `handrail migrate`, which will back "
           "up and verify first, is coming in a later release.")
    good_example = "release: ./bin/backup-db --verify && php artisan migrate --force  # stops if the backup fails"
    bad_example = "release: php artisan migrate --force"
    coming_with = "migration and backup analysis is not built yet"


CHECK = Backups()
