"""Production deploys, infrastructure changes and publishing packages.

A deploy or publish reaches users at once and some cannot be undone (an npm version is burnt forever);
Handrail's own `handrail deploy` checks first, so bare deploy commands ask.
"""

from __future__ import annotations

from handrail.policy.model import Cmd
from handrail.policy.rules.base import PROD_WORD, Ctx, HitIter, Rule, env_says, short
from handrail.policy.rules.db import tool_words

RULES = (
    Rule("deploy-prod", "ask", "Does the command deploy to production or change live infrastructure?",
         "vercel --prod, fly deploy, kubectl against a prod context and terraform apply -auto-approve change what "
         "users hit right now, without the checks `handrail deploy` runs first.",
         "Deploy previews freely; for production use `handrail deploy` or get approval.",
         "vercel deploy  (preview) ; terraform plan", "vercel --prod ; terraform apply -auto-approve ; fly deploy"),
    Rule("cloud-storage-wipe", "ask", "Does the command empty or delete a cloud storage bucket?",
         "aws s3 rm --recursive, aws s3 rb --force, gsutil rm -r and az storage blob delete-batch delete every "
         "object at once, and without versioning nothing brings them back; a production-looking bucket is blocked.",
         "Delete single objects you can name, or set a lifecycle rule a human reviews; never wipe a prod bucket.",
         "aws s3 ls s3://assets ; aws s3 rm s3://scratch/tmp/report.csv",
         "aws s3 rm s3://prod-bucket --recursive ; gsutil rm -r gs://assets ; aws s3 rb s3://logs --force"),
    Rule("publish", "ask", "Does the command publish a package or a release?",
         "A published version is public and permanent (npm, PyPI, crates.io forbid reusing a version).",
         "Let the release workflow publish from CI, or approve.", "npm pack --dry-run",
         "npm publish ; gh release create v1.2.0 ; twine upload dist/*"),
)


_KUBE_VERBS = frozenset({"apply", "delete", "replace", "patch", "scale", "rollout", "set", "drain", "create", "edit",
                         "annotate", "label", "get", "describe", "logs", "exec", "port-forward", "diff", "config"})


def _deploy(cmd: Cmd, w: list[str]) -> str | None:
    head = w[0] if w else ""
    rest = w[1:]
    args = set(rest)
    first = next((a for a in rest if not a.startswith("-")), "")
    if head == "vercel" and (args & {"--prod", "--production"} or first == "promote" or (
            "--target=production" in args or ("--target" in rest and "production" in rest))):
        return "vercel production deploy"
    if (head in ("fly", "flyctl") and first in ("deploy",)) or (head in ("fly", "flyctl") and rest[:2] == ["machine",
                                                                                                   "destroy"]):
        return "fly deploy"
    if head in ("netlify", "ntl") and first == "deploy" and args & {"--prod", "-p", "--production"}:
        return "netlify production deploy"
    if head == "heroku" and first in ("container:release", "releases:rollback", "pg:reset", "apps:destroy"):
        return f"heroku {first}"
    if head == "kamal" and first in ("deploy", "rollback", "redeploy", "setup", "remove"):
        return f"kamal {first}"
    if head == "cap" and "deploy" in args:
        return "capistrano deploy" + (" (production)" if "production" in args else "")
    if head == "dep" and "deploy" in args:
        return "deployer deploy"
    if head in ("kubectl", "oc"):
        first = next((a for a in rest if a in _KUBE_VERBS), "")
    if head in ("kubectl", "oc") and first in ("apply", "delete", "replace", "patch", "scale", "rollout", "set",
                                               "drain", "create", "edit", "annotate", "label"):
        if first == "delete" and any(a in ("ns", "namespace", "namespaces", "pv", "node", "nodes", "--all") for a in
                                     rest):
            return f"kubectl {first} of cluster-wide objects"
        if env_says(cmd) == "prod" or any(PROD_WORD.search(a) for a in rest if not a.startswith("-") or "=" in a):
            return f"kubectl {first} against production"
        if any(a in ("-n", "--namespace") for a in rest):
            i = max(rest.index(a) for a in ("-n", "--namespace") if a in rest)
            if i + 1 < len(rest) and PROD_WORD.search(rest[i + 1]):
                return f"kubectl {first} in {rest[i + 1]}"
        return None
    if head == "helm" and first in ("upgrade", "install", "uninstall", "delete", "rollback") and (
            env_says(cmd) == "prod" or any(PROD_WORD.search(a) for a in rest)):
        return f"helm {first} against production"
    if head in ("terraform", "tofu", "terragrunt"):
        if first == "destroy" or (first == "apply" and ({"-auto-approve", "--auto-approve"} & args or
                                                        "-destroy" in args)):
            return f"terraform {first} without review"
        if first == "apply" and any(PROD_WORD.search(a) for a in rest):
            return "terraform apply on production"
    if head == "pulumi" and (first == "destroy" or (first == "up" and args & {"--yes", "-y", "--skip-preview"})):
        return f"pulumi {first} without preview"
    if head == "cdk" and first in ("deploy", "destroy") and (("--require-approval" in args and "never" in args) or
                                                            first == "destroy" or any(PROD_WORD.search(a)
                                                                                      for a in rest)):
        return f"cdk {first}"
    if head in ("serverless", "sls") and first in ("deploy", "remove") and (env_says(cmd) == "prod" or any(
            PROD_WORD.search(a) for a in rest)):
        return f"serverless {first} to production"
    if head == "wrangler" and first in ("deploy", "publish") and not args & {"--dry-run"}:
        return "wrangler deploy"
    if head == "firebase" and first == "deploy":
        return "firebase deploy"
    if head == "eb" and first in ("deploy", "terminate"):
        return f"elastic beanstalk {first}"
    if head == "gcloud" and ("deploy" in args and first in ("app", "run", "functions")):
        return f"gcloud {first} deploy"
    if head == "railway" and first in ("up", "deploy", "down"):
        return f"railway {first}"
    if (head == "supabase" and rest[:2] == ["functions", "deploy"]) or (head == "supabase" and "--linked" in args \
            and first == "db" and "push" in args):
        return "supabase deploy"
    if head == "git" and first == "push":
        words = [a for a in rest[1:] if not a.startswith("-")]
        if words and words[0] in ("heroku", "dokku", "production", "prod", "live", "deploy"):
            return f"git push to the {words[0]} remote (deploys)"
    return None


def _publish(w: list[str]) -> str | None:
    head = w[0] if w else ""
    rest = w[1:]
    first = next((a for a in rest if not a.startswith("-")), "")
    if "--dry-run" in rest or ("-n" in rest and head == "cargo"):
        return None
    if (head in ("npm", "pnpm", "bun") and first == "publish") or (head == "yarn" and (
            first == "publish" or rest[:2] == ["npm", "publish"])):
        return f"{head} publish"
    if head == "npm" and first in ("unpublish", "deprecate"):
        return f"npm {first}"
    if (head == "twine" and first == "upload") or (
            head in ("poetry", "uv", "hatch", "flit", "pdm") and first == "publish"):
        return f"{head} publish"
    if (head == "cargo" and first in ("publish", "yank")) or (head == "gem" and first in ("push", "yank")):
        return f"{head} {first}"
    if head == "gh" and rest[:2] in (["release", "create"], ["release", "delete"], ["release", "edit"]):
        return "gh " + " ".join(rest[:2])
    if head == "docker" and first == "push" and any(":latest" in a or PROD_WORD.search(a) for a in rest):
        return "docker push of a production tag"
    return None


_WIPE, _GONE, _ONE, _SYNC = "wipe", "gone", "one", "sync"  # all objects; an (empty) bucket; one object; mirror


def _cloud(w: list[str]) -> tuple[str, str, list[str]] | None:
    """(kind, what, names of buckets/containers touched) for a cloud storage delete, else None."""
    head = w[0]
    words = [a for a in w[1:] if not a.startswith("-")]
    opts = {a.split("=", 1)[0] for a in w[1:] if a.startswith("-")}
    urls = [a for a in w[1:] if "://" in a or (head in ("rclone", "mc") and ":" in a[1:] and not a.startswith("-"))]
    if opts & {"--dryrun", "--dry-run", "-n"} and head in ("aws", "rclone", "mc", "gsutil"):
        return None
    if head == "aws" and "s3" in words:
        i = words.index("s3")
        sub = words[i + 1] if i + 1 < len(words) else ""
        if sub == "rm":
            return (_WIPE, "aws s3 rm --recursive deletes every object under it", urls) if "--recursive" in opts \
                else (_ONE, "aws s3 rm deletes an object", urls)
        if sub == "rb":
            return (_WIPE, "aws s3 rb --force deletes every object and the bucket", urls) if "--force" in opts \
                else (_GONE, "aws s3 rb deletes the bucket", urls)
        if sub == "sync" and "--delete" in opts:
            return _SYNC, "aws s3 sync --delete removes objects the source lacks", urls[-1:]
    if head == "aws" and "s3api" in words:
        sub = words[words.index("s3api") + 1:][:1]
        names = [w[w.index(a) + 1] for a in ("--bucket",) if a in w[:-1]]
        if sub == ["delete-objects"]:
            return _WIPE, "aws s3api delete-objects deletes objects in bulk", names
        if sub == ["delete-bucket"]:
            return _GONE, "aws s3api delete-bucket deletes the bucket", names
    if head in ("gsutil", "gcloud"):
        if head == "gcloud":
            if words[:1] != ["storage"]:
                return None
            words = words[1:]
        sub = words[0] if words else ""
        recursive = bool(opts & {"-r", "-R", "--recursive", "-a"}) or any("*" in u for u in urls) or any(
            o.startswith("-") and not o.startswith("--") and ("r" in o or "R" in o) for o in opts)
        if sub == "rm":
            return (_WIPE, f"{head} rm -r deletes every object under it", urls) if recursive else (
                _ONE, f"{head} rm deletes an object", urls)
        if sub == "rb" or words[:2] == ["buckets", "delete"]:
            return _GONE, f"{head} deletes the bucket", urls
        if sub == "rsync" and (opts & {"-d", "--delete-unmatched-destination-objects"} or any(
                o.startswith("-") and not o.startswith("--") and "d" in o for o in opts)):
            return _SYNC, f"{head} rsync -d removes objects the source lacks", urls[-1:]
    if head == "az" and words[:1] == ["storage"]:
        names = [w[i + 1] for i, a in enumerate(w[:-1]) if a in (
            "--source", "-s", "--name", "-n", "--container-name", "-c", "--account-name", "--share-name",
            "--file-system", "-f", "--destination", "-d")]
        sub = words[1:3]
        if sub[-1:] == ["delete-batch"] or (sub[:1] in (["container"], ["share"], ["account"], ["fs"]) and
                                            sub[1:] == ["delete"]):
            return _WIPE, f"az storage {' '.join(sub)} deletes everything in it", names
        if sub[-1:] == ["delete"]:
            return _ONE, f"az storage {' '.join(sub)} deletes it", names
        if sub == ["blob", "sync"] and "--delete-destination" in w and "false" not in w:
            return _SYNC, "az storage blob sync --delete-destination removes blobs the source lacks", names
    if head == "rclone" and words[:1] in (["purge"], ["delete"]):
        return _WIPE, f"rclone {words[0]} deletes everything under it", urls or words[1:]
    if head == "rclone" and words[:1] == ["deletefile"]:
        return _ONE, "rclone deletefile deletes an object", urls or words[1:]
    if head == "mc" and words[:1] in (["rm"], ["rb"]) and "--force" in opts and (
            words[0] == "rb" or opts & {"-r", "--recursive"}):
        return _WIPE, f"mc {words[0]} --force deletes every object", words[1:]
    if head == "s5cmd" and words[:1] == ["rm"]:
        return (_WIPE if any("*" in u for u in urls) else _ONE), "s5cmd rm deletes objects", urls
    return None


def _cloud_hit(cmd: Cmd, w: list[str], text: str) -> HitIter:
    found = _cloud(w)
    if found is None:
        return
    kind, what, names = found
    prod = env_says(cmd) == "prod" or any(PROD_WORD.search(n.split("://", 1)[-1].split("/", 1)[0]) for n in names)
    if kind == _WIPE:
        if prod:
            yield ("block", "cloud-storage-wipe", f"`{text}`: {what}, and the bucket looks like production; a human "
                                                  "must do this (after checking versioning and backups)")
        else:
            yield ("ask", "cloud-storage-wipe", f"`{text}`: {what}, with no undo unless versioning is on; approve "
                                                "only for a scratch bucket")
    elif kind == _GONE or prod:
        yield ("ask", "cloud-storage-wipe", f"`{text}`: {what}" + (" in what looks like production" if prod else "")
               + "; approve it, or leave it to a human")


def check_cmd(cmd: Cmd, ctx: Ctx) -> HitIter:
    w = tool_words(cmd)
    if not w:
        return
    text = short(cmd.text)
    if w[0] in ("aws", "gsutil", "gcloud", "az", "rclone", "mc", "s5cmd"):
        yield from _cloud_hit(cmd, w, text)
    what = _deploy(cmd, w)
    if what:
        yield ("ask", "deploy-prod", f"`{text}`: {what} changes what users get right now; use `handrail deploy` "
                                     "(checks first) or approve")
    pub = _publish(w)
    if pub:
        yield ("ask", "publish", f"`{text}`: {pub} is public and permanent; let the release workflow do it or "
                                 "approve")


def check_file(ctx: Ctx) -> HitIter:
    return iter(())
