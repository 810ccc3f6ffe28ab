"""Verification: every way a journal can be tampered with, and which entry is the first bad one.

- per entry: a missing seq (deleted), a prev_hash pointing elsewhere (reordered) or nowhere (chain broken), a
  payload or body that no longer matches its hash (edited), a MAC that does not match (rewritten, chain and all,
  without the writer's key: catches a rewrite after the last checkpoint);
- per checkpoint: its Ed25519 signature, its origin, and the Merkle root of the entries it covers (a rewrite of
  the whole chain, a fork) and whether they still exist (truncation);
- the same for the checkpoints anchored under refs/handrail/journal, which survive the database being replaced.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from handrail.journal import chain, keys, signing

if TYPE_CHECKING:
    from handrail.journal.anchor import Anchored
    from handrail.journal.model import Entry
    from handrail.journal.report import Checkpoint, VerifyReport


def _entries(report: VerifyReport, entries: list[Entry]) -> None:
    by_hash = {e.hash: e.seq for e in entries}
    local = keys.existing_hmac_key()
    foreign: dict[str, int] = {}
    unmaced = 0
    prev, expected = chain.GENESIS, 1
    for e in entries:
        if e.seq != expected:
            gone = f"entry {expected} is" if e.seq == expected + 1 else f"entries {expected}..{e.seq - 1} are"
            report.fail(expected, f"{gone} missing (deleted)")
            return
        if e.prev_hash != prev:
            other = by_hash.get(e.prev_hash)
            if other is not None or e.prev_hash == chain.GENESIS:
                after = f"entry {other}" if other is not None else "the start of the journal"
                report.fail(e.seq, f"out of order: this entry was written after {after}, not after entry "
                                   f"{e.seq - 1} (rows reordered)")
            else:
                report.fail(e.seq, f"chain broken: prev_hash does not match entry {e.seq - 1}'s hash (an entry was "
                                   "replaced or the chain forked)")
            return
        if chain.payload_hash(e.payload) != e.payload_hash:
            report.fail(e.seq, "payload edited: it no longer matches its payload_hash")
            return
        if chain.entry_hash(e) != e.hash:
            report.fail(e.seq, "entry edited: its contents no longer match its hash")
            return
        if e.mac is None or e.key_id is None:
            unmaced += 1
        elif local is not None and e.key_id == local[1]:
            if not chain.mac_ok(local[0], e.hash, e.mac):
                report.fail(e.seq, "MAC does not match: the entry was rewritten (hashes recomputed without the "
                                   "writer's key)")
                return
            report.macs_checked += 1
        else:
            foreign[e.key_id] = foreign.get(e.key_id, 0) + 1
        prev, expected = e.hash, expected + 1
    for key_id, n in foreign.items():
        report.warnings.append(f"{n} entr{'y' if n == 1 else 'ies'} MACed with key {key_id}, which is not on this "
                               "machine (not checked)")
    if unmaced:
        report.warnings.append(f"{unmaced} entr{'y has' if unmaced == 1 else 'ies have'} no MAC (not checked)")


def _check_note(report: VerifyReport, text: str, public_b64: str, what: str, origin: str, local_pub: bytes | None,
                n: int, roots: dict[int, bytes], good: list[int]) -> None:
    try:
        note = signing.parse_note(text)
        public = base64.b64decode(public_b64, validate=True)
    except (ValueError, binascii.Error) as exc:
        report.fail(None, f"{what}: unreadable ({exc})")
        return
    if not signing.verify_note(note, public):
        report.fail(None, f"{what}: bad signature (the checkpoint was altered)")
        return
    if note.origin != origin:
        report.fail(1, f"{what} belongs to another journal ({note.origin}, this one is {origin}): the database was "
                       "replaced")
        return
    if local_pub is None or public != local_pub:
        warning = f"checkpoints signed by {note.key_name}, a key not on this machine (signature valid)"
        if warning not in report.warnings:
            report.warnings.append(warning)
    if note.size > n:
        report.fail(n + 1, f"truncated: {what} covers {note.size} entries, the journal has {n}")
        return
    if roots.get(note.size) != note.root:
        start = max((s for s in good if s < note.size), default=0) + 1
        if report.first_bad_seq is not None and report.first_bad_seq <= note.size:
            # a consequence of the bad entry already named, which is the more precise finding
            report.problems.append(f"{what} disagrees with entries {start}..{note.size} (Merkle root differs)")
            return
        report.fail(start, f"{what} disagrees with entries {start}..{note.size} (Merkle root differs): the chain was "
                           "rewritten or forked")
        return
    good.append(note.size)


def verify(entries: list[Entry], checkpoints: list[Checkpoint], anchors: list[Anchored],
           origin: str) -> VerifyReport:
    from handrail.journal.report import VerifyReport

    report = VerifyReport(entries=len(entries), origin=origin, head=entries[-1].hash if entries else None)
    _entries(report, entries)
    if not checkpoints and not anchors:
        if entries:
            report.warnings.append("no signed checkpoint yet (`handrail journal checkpoint` or a session end makes "
                                   "one)")
        return report
    n = len(entries)
    hashes = [e.hash for e in entries]
    sizes: set[int] = {cp.size for cp in checkpoints}
    parsed_anchor_sizes = []
    for a in anchors:
        lines = a.note.splitlines()
        if len(lines) > 1 and lines[1].isdigit():
            parsed_anchor_sizes.append(int(lines[1]))
    sizes |= set(parsed_anchor_sizes)
    roots = chain.merkle_roots_at(hashes, {s for s in sizes if s <= n})
    local_pub = signing.local_public_key()
    good: list[int] = []
    for cp in checkpoints:
        before = len(report.problems)
        _check_note(report, cp.note, cp.public_key, f"checkpoint #{cp.id}", origin, local_pub, n, roots, good)
        if len(report.problems) == before:
            if cp.root != (roots.get(cp.size) or b"").hex():
                report.fail(None, f"checkpoint #{cp.id}: its root column differs from its signed note")
            else:
                report.checkpoints += 1
    if anchors and not any(a.note.split("\n", 1)[0] == origin for a in anchors):
        first = anchors[-1].note.split("\n", 1)[0]
        report.fail(1, f"refs/handrail/journal anchors {first}, not this journal ({origin}): the database was "
                       "replaced (if it was deleted on purpose: git update-ref -d refs/handrail/journal)")
        return report
    for i, a in enumerate(anchors, 1):
        if a.note.split("\n", 1)[0] != origin:
            continue
        before = len(report.problems)
        _check_note(report, a.note, a.public_key, f"anchored checkpoint {i} (refs/handrail/journal)", origin,
                    local_pub, n, roots, good)
        if len(report.problems) == before:
            report.anchors += 1
    return report
