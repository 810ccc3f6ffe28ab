"""Firebase rules findings: labelled good/bad twins, test-mode expiry and the rules-language parsing."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from conftest import init_repo

from handrail.core.finding import Finding, Severity
from handrail.core.project import Project
from handrail.datalayer.firebase import firebase_findings, parse_rules, rtdb_findings, rules_findings

DATA = Path(__file__).parent / "data" / "datalayer"
CASES = sorted(p.name for p in DATA.iterdir() if p.name.startswith("firebase"))
TODAY = date(2026, 11, 25)


@pytest.fixture
def findings_of(tmp_path: Path) -> Callable[[str], list[Finding]]:
    def _run(name: str) -> list[Finding]:
        dst = tmp_path / name
        shutil.copytree(DATA / name, dst)
        return firebase_findings(Project(init_repo(dst)), today=TODAY)

    return _run


@pytest.mark.parametrize("case", CASES)
def test_labelled_cases(case: str, findings_of: Callable[[str], list[Finding]]) -> None:
    labels = tomllib.loads((DATA / case / "labels.toml").read_text())
    expected, allowed = ({(i["rule"], i["path"], int(i["line"])) for i in labels.get(k, [])}
                         for k in ("expect", "allowed"))
    findings = findings_of(case)
    reported = {(f.rule, f.path or "", f.line or 0) for f in findings}
    assert reported - allowed == expected
    rank = {(f.rule, f.path or "", f.line or 0): f.severity.rank for f in findings}
    for kind, bound in (("expect", "min_severity"), ("allowed", "max_severity")):
        for i in labels.get(kind, []):
            key = (i["rule"], i["path"], int(i["line"]))
            if bound in i and key in rank:
                limit = Severity(i[bound]).rank
                assert rank[key] >= limit if kind == "expect" else rank[key] <= limit, (key, bound)


def test_open_everything_is_critical(findings_of: Callable[[str], list[Finding]]) -> None:
    by_place = {(f.path, f.line): f for f in findings_of("firebase-open")}
    firestore = by_place[("firestore.rules", 5)]
    assert firestore.check == "authz" and firestore.severity == Severity.CRITICAL
    assert "all of Firestore" in firestore.message and "read, write" in firestore.message
    assert by_place[("database.rules.json", 4)].severity == Severity.CRITICAL
    storage = by_place[("storage.rules", 4)]  # `allow read, write;` without a condition is open
    assert storage.severity == Severity.HIGH and "/uploads/{allPaths=**}" in storage.message


def test_test_mode_expired_or_not() -> None:
    text = (DATA / "firebase-test-mode" / "firestore.rules").read_text()
    (before,) = rules_findings("firestore.rules", text, today=date(2024, 3, 1))
    (after,) = rules_findings("firestore.rules", text, today=date(2024, 3, 15))
    assert before.severity == Severity.CRITICAL and "until 2024-03-14" in before.message
    assert after.severity == Severity.MEDIUM and "expired on 2024-03-14" in after.message


def test_parser_builds_paths_and_ignores_braces_in_comments() -> None:
    text = """rules_version = '2';
// match /ignored/{x} { allow read: if true; }
service cloud.firestore {
  match /databases/{database}/documents {
    /* { */
    match /users/{userId} {
      allow get,
            update: if request.auth.uid == userId;
      match /posts/{postId} { allow read: if resource.data.visibility == "public{}"; }
    }
  }
}
"""
    allows, functions = parse_rules(text)
    assert functions == {}
    assert [(a.path, a.methods, a.line) for a in allows] == [
        ("/databases/{database}/documents/users/{userId}", ("get", "update"), 7),
        ("/databases/{database}/documents/users/{userId}/posts/{postId}", ("read",), 9),
    ]
    assert allows[0].condition == "request.auth.uid == userId"
    assert rules_findings("firestore.rules", text, today=TODAY) == []


def test_signed_in_write_on_a_per_user_path_that_ignores_the_user() -> None:
    text = """service cloud.firestore { match /databases/{database}/documents {
  match /users/{userId} { allow read: if request.auth != null; allow write: if request.auth != null; }
}}"""
    read, write = rules_findings("firestore.rules", text, today=TODAY)
    assert write.rule == "firebase-any-signed-in" and write.severity == Severity.MEDIUM
    assert "write" in write.message and "/users/{userId}" in write.message
    # a users collection is people's records: every signed-in user reading all of it is the Supabase
    # "authenticated using (true) on user data" case, medium there too
    assert read.rule == "firebase-any-signed-in" and read.severity == Severity.MEDIUM and "read" in read.message


def test_rtdb_nested_paths_and_lines() -> None:
    text = """{
  "rules": {
    "public_board": {
      ".read": true,
      ".write": "auth != null"
    },
    "users": { "$uid": { ".write": "auth.uid === $uid" } },
    "logs": { "$id": { ".write": true } }
  }
}"""
    found = {(f.rule, f.line, f.severity) for f in rtdb_findings("database.rules.json", text)}
    assert found == {
        ("firebase-open-rules", 4, Severity.LOW),
        ("firebase-any-signed-in", 5, Severity.MEDIUM),
        ("firebase-open-rules", 8, Severity.HIGH),
    }


def test_firebase_json_points_at_a_custom_rules_file(project_of: Callable[..., Project]) -> None:
    project = project_of({
        "firebase.json": '{"firestore": {"rules": "config/prod.rules"}}',
        "config/prod.rules": "service cloud.firestore { match /databases/{database}/documents {"
                             " match /{document=**} { allow read, write: if true; } } }",
    })
    (finding,) = firebase_findings(project, today=TODAY)
    assert finding.path == "config/prod.rules" and finding.severity == Severity.CRITICAL


def test_broken_rtdb_json_is_not_a_crash() -> None:
    assert rtdb_findings("database.rules.json", '{"rules": {".read": tru') == []


def test_collections_of_people_are_not_a_catalogue() -> None:
    text = """service cloud.firestore { match /databases/{database}/documents {
  match /orders/{orderId} { allow read: if true; }
  match /products/{id} { allow read: if true; }
  match /messages/{id} { allow read, update: if request.auth != null; }
  match /tags/{id} { allow read, update: if request.auth != null; }
  match /resetRequests/{id} { allow create: if true; }
  match /users/{id} { allow create: if true; }
}}"""
    sev = {f.key.split("/documents", 1)[1]: f.severity for f in rules_findings("firestore.rules", text, today=TODAY)}
    assert sev == {"/orders/{orderId} read": Severity.HIGH, "/products/{id} read": Severity.LOW,
                   "/messages/{id} read, update": Severity.MEDIUM, "/resetRequests/{id} create": Severity.LOW,
                   "/users/{id} create": Severity.MEDIUM}
