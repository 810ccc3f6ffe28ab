"""Changing CI secrets, deploy-platform variables or CI workflows.

Workflows run with the repository's deploy credentials; an edited workflow or a replaced secret changes
what production runs and who can read the keys, so a human should look first.
"""

from __future__ import annotations

from handrail.policy.model import Cmd
from handrail.policy.rules.base import Ctx, HitIter, LazyRe, Rule, flags, short

RULES = (
    Rule("ci-secrets", "ask", "Does the command change CI or platform secrets and variables?",
         "gh secret set, vercel env add, fly secrets set and friends change what production and CI run with; a "
         "wrong or leaked value breaks deploys or hands out credentials.",
         "Have a human change secrets in the platform UI or approve the command.",
         "gh secret list", "gh secret set STRIPE_KEY --body sk_live_... ; vercel env rm DATABASE_URL production"),
    Rule("ci-workflow", "ask", "Does the action change a CI/CD workflow?",
         "Workflows run with deploy keys and repository secrets; an edited workflow can print secrets, skip tests "
         "or deploy anything.",
         "Propose the workflow change in a pull request a human reviews, or approve the edit.",
         "Edit src/app.ts", "Write .github/workflows/deploy.yml ; sed -i 's/npm test/true/' .gitlab-ci.yml"),
)

_CI_PATH = LazyRe(r"(^|/)(\.github/workflows/[^/]+|\.github/actions/.+|\.gitlab-ci\.ya?ml|\.gitlab/ci/.+|"
                      r"\.circleci/.+|Jenkinsfile|azure-pipelines\.ya?ml|bitbucket-pipelines\.ya?ml|\.buildkite/.+|"
                      r"\.drone\.ya?ml|\.travis\.ya?ml|cloudbuild\.ya?ml|\.woodpecker(\.ya?ml|/.+))$")


def is_ci_path(path: str) -> bool:
    return bool(_CI_PATH.search(path))


def _secret_change(w: list[str]) -> str | None:
    head = w[0] if w else ""
    a1, a2 = (w[1] if len(w) > 1 else ""), (w[2] if len(w) > 2 else "")
    if head == "gh" and a1 in ("secret", "variable") and a2 in ("set", "delete", "remove"):
        return f"gh {a1} {a2}"
    if head == "gh" and a1 == "api" and any("/secrets" in x or "/variables" in x for x in w) and any(
            x in ("PUT", "DELETE", "PATCH", "POST") for x in w):
        return "gh api on repository secrets"
    if head == "vercel" and a1 == "env" and a2 in ("add", "rm", "remove", "update"):
        return f"vercel env {a2}"
    if head in ("netlify", "ntl") and a1 in ("env:set", "env:unset", "env:import", "env:clone"):
        return f"netlify {a1}"
    if head in ("fly", "flyctl") and a1 == "secrets" and a2 in ("set", "unset", "import"):
        return f"fly secrets {a2}"
    if head == "heroku" and a1 in ("config:set", "config:unset", "config:add", "config:remove"):
        return f"heroku {a1}"
    if head == "railway" and a1 in ("variables", "variable") and ("--set" in w or a2 in ("set", "delete")):
        return "railway variables set"
    if head == "doppler" and a1 == "secrets" and a2 in ("set", "delete", "upload"):
        return f"doppler secrets {a2}"
    if head == "aws" and a1 == "secretsmanager" and a2 in ("put-secret-value", "create-secret", "delete-secret",
                                                          "update-secret"):
        return f"aws secretsmanager {a2}"
    if head == "aws" and a1 == "ssm" and a2 in ("put-parameter", "delete-parameter"):
        return f"aws ssm {a2}"
    if head == "gcloud" and a1 == "secrets" and a2 in ("create", "delete", "versions"):
        return f"gcloud secrets {a2}"
    if head == "az" and a1 == "keyvault" and "secret" in w and ("set" in w or "delete" in w):
        return "az keyvault secret"
    if head == "kubectl" and a1 in ("create", "delete", "apply") and a2 in ("secret", "secrets"):
        return f"kubectl {a1} secret"
    if head == "vault" and a1 == "kv" and a2 in ("put", "delete", "destroy", "patch"):
        return f"vault kv {a2}"
    if head == "wrangler" and a1 == "secret" and a2 in ("put", "delete", "bulk"):
        return f"wrangler secret {a2}"
    if head == "supabase" and a1 == "secrets" and a2 in ("set", "unset"):
        return f"supabase secrets {a2}"
    if head == "gh" and a1 == "workflow" and a2 == "disable":
        return None
    return None


def check_cmd(cmd: Cmd, ctx: Ctx) -> HitIter:
    from handrail.policy.rules.db import tool_words

    w = tool_words(cmd)
    what = _secret_change(w)
    text = short(cmd.text)
    if what:
        yield ("ask", "ci-secrets", f"`{text}`: {what} changes what CI/production runs with; approve or let a human "
                                    "do it in the platform")
    if w[:3] == ["gh", "workflow", "disable"]:
        yield ("ask", "ci-workflow", f"`{text}` turns off a CI workflow; approve or leave it to a human")
    targets = [t for op, t in cmd.redirects if ">" in op]
    name = cmd.name
    in_place = name in ("sed", "perl", "ruby") and any(a.startswith(("-i", "-pi")) or a == "--in-place"
                                                       for a in cmd.argv[1:])
    if in_place or name in ("tee", "rm", "truncate", "yq", "unlink"):
        targets += flags(cmd.argv)[1]
    elif name in ("cp", "mv", "install", "ln"):
        words = flags(cmd.argv)[1]
        targets += words[-1:] + (words[:-1] if name == "mv" else [])
    for t in targets:
        p = ctx.resolve(t, cmd.cwd)
        if p and ctx.inside(p) and is_ci_path(p[len(ctx.root):]):
            yield ("ask", "ci-workflow", f"`{text}` changes the CI workflow {ctx.rel(p)}; propose it in a pull "
                                         "request or approve")
            return


def check_file(ctx: Ctx) -> HitIter:
    path = ctx.cache.get("path")
    if ctx.action.tool not in ("write", "edit") or not isinstance(path, str):
        return
    if is_ci_path(path[len(ctx.root):] if ctx.inside(path) else path):
        yield ("ask", "ci-workflow", f"{ctx.action.tool_name} {ctx.rel(path)} changes a CI/CD workflow, which runs "
                                     "with deploy credentials; approve the change")
