"""least-privilege: do tokens have only the permissions they need?

Two halves. CI tokens: GitHub's GITHUB_TOKEN scopes (`permissions:` blocks compared
with what the jobs demonstrably do, from a small knowledge base of actions and
commands), personal tokens where an app token would do, deploy-grade secrets in
non-deploy jobs outside environments (deploy jobs without `environment:` are reported
once, by environments), and untrusted code run with a privileged token
(pull_request_target / workflow_run checking out the PR head). Client exposure:
keys that the bundler ships to every browser (NEXT_PUBLIC_, VITE_, ... : only those
prefixes are inlined, so unprefixed env reads are not leaks) whose name or provider
says they are secret, and Supabase service_role keys in client code.

Unlike zizmor and Scorecard, a top-level write that some job needs is reported as
"move it to that job" (medium), and one nobody needs as unused; explicit job-level
grants that are needed are never flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handrail.checks.base import Check, Rule, list_text, unparsed_ci, unparsed_note
from handrail.core.dotenv import env_assignments, is_env_file
from handrail.core.finding import CheckResult, Confidence, Finding, Location, Severity, Status
from handrail.core.jwt import JWT_RX, jwt_role
from handrail.core.lazyre import lazy_re
from handrail.core.redact import redact, redact_line
from handrail.core.stacks import npm_dependencies
from handrail.core.yamlload import line_of
from handrail.pipeline.classify import never_runs
from handrail.pipeline.model import Job, PipelineModel, Step, StepKind, Workflow

if TYPE_CHECKING:
    from handrail.core.project import Project

# --- helpers (environments.py imports some of these) --------------------------------------

SECRET_REF = lazy_re(r"secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]\s*\])")
# Bundlers inline variables with these prefixes into the client bundle: every visitor can read them.
PUBLIC_PREFIXES = ("NEXT_PUBLIC_", "NUXT_PUBLIC_", "EXPO_PUBLIC_", "REACT_APP_", "VITE_", "GATSBY_", "VUE_APP_",
                   "PUBLIC_")
PUBLIC_NAME_RX = lazy_re(r"\b(?:NEXT_PUBLIC_|NUXT_PUBLIC_|EXPO_PUBLIC_|REACT_APP_|VITE_|GATSBY_|VUE_APP_|PUBLIC_)"
                            r"[A-Z0-9_]+\b")
JS_EXTS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".vue", ".svelte", ".astro")


def secret_names(value: Any) -> Iterator[str]:
    """Names of `secrets.X` references anywhere inside a loaded YAML value."""
    if isinstance(value, str):
        for m in SECRET_REF.finditer(value):
            yield (m.group(1) or m.group(2)).upper()  # secret names are case-insensitive
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from secret_names(k)
            yield from secret_names(v)
    elif isinstance(value, list):
        for v in value:
            yield from secret_names(v)


def public_prefix(name: str) -> str | None:
    for p in PUBLIC_PREFIXES:
        if name.startswith(p):
            return p
    return None


def action_name(uses: str | None) -> str:
    """owner/repo[/path] of a `uses:` reference, lower-cased, without the @ref."""
    return (uses or "").split("@", 1)[0].strip().lower()


def _with(step: Step, key: str) -> Any:
    w = step.with_ if isinstance(step.with_, dict) else {}
    return w.get(key)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --- what jobs need: a small knowledge base ------------------------------------------------------

_ACTION_NEEDS: dict[str, tuple[str, ...]] = {
    "softprops/action-gh-release": ("contents",),
    "ncipollo/release-action": ("contents",),
    "actions/create-release": ("contents",),
    "actions/upload-release-asset": ("contents",),
    "svenstaro/upload-release-action": ("contents",),
    "googleapis/release-please-action": ("contents", "pull-requests", "issues"),
    "google-github-actions/release-please-action": ("contents", "pull-requests", "issues"),
    "release-drafter/release-drafter": ("contents", "pull-requests"),
    "stefanzweifel/git-auto-commit-action": ("contents",),
    "endbug/add-and-commit": ("contents",),
    "ad-m/github-push-action": ("contents",),
    "peaceiris/actions-gh-pages": ("contents",),
    "jamesives/github-pages-deploy-action": ("contents",),
    "mathieudutour/github-tag-action": ("contents",),
    "anothrnick/github-tag-action": ("contents",),
    "rickstaa/action-create-tag": ("contents",),
    "peter-evans/create-pull-request": ("contents", "pull-requests"),
    "changesets/action": ("contents", "pull-requests"),
    "cycjimmy/semantic-release-action": ("contents", "issues", "pull-requests"),
    "marocchino/sticky-pull-request-comment": ("pull-requests",),
    "thollander/actions-comment-pull-request": ("pull-requests",),
    "mshick/add-pr-comment": ("pull-requests", "issues"),
    "peter-evans/create-or-update-comment": ("pull-requests", "issues"),
    "peter-evans/enable-pull-request-automerge": ("pull-requests", "contents"),
    "actions/labeler": ("pull-requests",),
    "actions/stale": ("issues", "pull-requests"),
    "actions/first-interaction": ("issues", "pull-requests"),
    "jasonetco/create-an-issue": ("issues",),
    "peter-evans/create-issue-from-file": ("issues",),
    "actions/deploy-pages": ("pages", "id-token"),
    "actions/attest-build-provenance": ("id-token", "attestations"),
    "actions/attest-sbom": ("id-token", "attestations"),
    "actions/attest": ("id-token", "attestations"),
    "github/codeql-action/analyze": ("security-events",),
    "github/codeql-action/upload-sarif": ("security-events",),
    "ossf/scorecard-action": ("security-events", "id-token"),
    "sigstore/gh-action-sigstore-python": ("id-token",),
    "chrnorm/deployment-action": ("deployments",),
    "chrnorm/deployment-status": ("deployments",),
    "bobheadxi/deployments": ("deployments",),
    "dorny/test-reporter": ("checks",),
    "enricomi/publish-unit-test-result-action": ("checks", "pull-requests"),
    "mikepenz/action-junit-report": ("checks",),
    "myrotvorets/set-commit-status-action": ("statuses",),
    "sibz/github-status-action": ("statuses",),
    "ouzi-dev/commit-status-updater": ("statuses",),
    "benc-uk/workflow-dispatch": ("actions",),
}
# Actions known to need no write scope at all (their token use is read-only or absent).
_NO_WRITE_ACTIONS = frozenset({
    "actions/checkout", "actions/setup-node", "actions/setup-python", "actions/setup-go", "actions/setup-java",
    "actions/setup-dotnet", "actions/cache", "actions/upload-artifact", "actions/download-artifact",
    "actions/upload-pages-artifact", "actions/configure-pages", "actions/dependency-review-action",
    "github/codeql-action/init", "github/codeql-action/autobuild", "shivammathur/setup-php", "ruby/setup-ruby",
    "pnpm/action-setup", "oven-sh/setup-bun", "denoland/setup-deno", "astral-sh/setup-uv", "docker/setup-buildx-action",
    "docker/setup-qemu-action", "docker/metadata-action", "docker/build-push-action", "docker/login-action",
    "aws-actions/configure-aws-credentials", "google-github-actions/auth", "azure/login", "hashicorp/vault-action",
    "pypa/gh-action-pypi-publish", "superfly/flyctl-actions/setup-flyctl", "superfly/flyctl-actions",
    "amondnet/vercel-action", "codecov/codecov-action", "supabase/setup-cli", "dependabot/fetch-metadata",
    "amannn/action-semantic-pull-request", "actions/create-github-app-token", "tibdex/github-app-token",
    "actions/setup-ruby", "gradle/actions/setup-gradle", "browser-actions/setup-chrome", "cypress-io/github-action",
    "treosh/lighthouse-ci-action", "webfactory/ssh-agent", "appleboy/ssh-action", "appleboy/scp-action",
    "cloudflare/wrangler-action", "netlify/actions/cli", "nwtgck/actions-netlify", "akhileshns/heroku-deploy",
    "actions/github-script",  # github-script is handled as opaque before this table
})
_RUN_NEEDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (lazy_re(r"\bgit\s+push\b"), ("contents",)),
    (lazy_re(r"\bgh\s+release\s+(?:create|upload|edit|delete)\b"), ("contents",)),
    (lazy_re(r"\bsemantic-release\b"), ("contents", "issues", "pull-requests")),
    (lazy_re(r"\bgh\s+pr\s+create\b"), ("contents", "pull-requests")),
    (lazy_re(r"\bgh\s+pr\s+merge\b"), ("contents", "pull-requests")),  # merging writes the base branch
    (lazy_re(r"\bgh\s+pr\s+(?:comment|edit|review|close|ready|reopen)\b"), ("pull-requests",)),
    (lazy_re(r"\bgh\s+issue\s+(?:create|comment|edit|close|reopen|delete|transfer)\b"), ("issues",)),
    (lazy_re(r"\bgh\s+label\s+(?:create|edit|delete|clone)\b"), ("issues",)),
    (lazy_re(r"\bgh\s+(?:workflow\s+(?:run|enable|disable)|run\s+(?:rerun|cancel|delete)|cache\s+delete|actions-cache\s+delete)\b"),
     ("actions",)),
    (lazy_re(r"\bdocker\s+(?:image\s+)?push\s+\S*ghcr\.io"), ("packages",)),
    (lazy_re(r"npm\.pkg\.github\.com"), ("packages",)),
    (lazy_re(r"--provenance\b|\bcosign\s+sign\b(?!.*--key)|ACTIONS_ID_TOKEN_REQUEST"), ("id-token",)),
    (lazy_re(r"\bgh\s+attestation\b"), ("id-token", "attestations")),
)
# Token use we cannot interpret: the job may need any scope.
_OPAQUE_RUN = lazy_re(r"\bgh\s+api\b|api\.github\.com|\boctokit\b|\bghapi\b|\bPyGithub\b")
_TOKEN_INPUTS = ("token", "github-token", "github_token", "repo-token", "repo_token", "gh-token", "gh_token")
_GITHUB_TOKEN_REF = lazy_re(r"github\.token|secrets\.GITHUB_TOKEN")

# Scopes whose misuse reaches past this repository: push code, publish packages, edit workflows/caches,
# mint cloud credentials. zizmor rates these high too; checks/statuses/security-events are milder.
_HIGH_IMPACT = frozenset({"contents", "packages", "actions", "id-token"})


@dataclass
class JobNeeds:
    """Write scopes a job demonstrably uses, with the step that shows it, and what we could not read."""

    scopes: dict[str, Location] = field(default_factory=dict)
    opaque: list[Location] = field(default_factory=list)  # token use we cannot interpret
    unknown_actions: list[str] = field(default_factory=list)  # third-party actions not in the knowledge base


def job_needs(wf: Workflow, job: Job, model: PipelineModel | None = None, depth: int = 0) -> JobNeeds:
    out = JobNeeds()

    def need(scopes: Iterable[str], step: Step, why: str) -> None:
        for s in scopes:
            out.scopes.setdefault(s, Location(wf.path, step.line, why))

    if job.uses:
        called = _local_workflow(model, job.uses) if model is not None and depth < 3 else None
        if called is None:
            out.opaque.append(Location(wf.path, job.line, f"calls reusable workflow {job.uses}"))
        else:
            for sub in called.jobs.values():
                sub_needs = job_needs(called, sub, model, depth + 1)
                for s, loc in sub_needs.scopes.items():
                    out.scopes.setdefault(s, loc)
                out.opaque.extend(sub_needs.opaque)
                out.unknown_actions.extend(sub_needs.unknown_actions)
    envs = [job.raw.get("env") if isinstance(job.raw, dict) else None] + [s.env for s in job.steps]
    recognised = any(rx.search(s.run or "") for s in job.steps for rx, _ in _RUN_NEEDS)
    for env in envs:
        if not isinstance(env, dict):
            continue
        for key, value in env.items():
            if not _GITHUB_TOKEN_REF.search(_text(value)):
                continue
            if key in ("GH_TOKEN", "GITHUB_TOKEN") and recognised:
                continue  # read below, command by command
            loc = Location(wf.path, line_of(env, key, job.line) or job.line, f"gives the token to commands as {key}")
            if re.search(r"REGISTRY|DOCKER|GHCR|CR_PAT", str(key), re.I):
                out.scopes.setdefault("packages", loc)  # a registry login with GITHUB_TOKEN: ghcr.io pushes
            else:
                out.opaque.append(loc)
    for step in job.steps:
        name = action_name(step.uses)
        if step.run:
            for rx, scopes in _RUN_NEEDS:
                if rx.search(step.run):
                    need(scopes, step, f"runs `{rx.search(step.run).group(0)}`")  # type: ignore[union-attr]
            if _OPAQUE_RUN.search(step.run):
                out.opaque.append(Location(wf.path, step.line, "calls the GitHub API directly"))
        if not name:
            continue
        if name.startswith(("./", "docker://")):
            out.opaque.append(Location(wf.path, step.line, f"local or container action {step.uses}"))
            continue
        if name == "actions/github-script":
            out.opaque.append(Location(wf.path, step.line, "actions/github-script can call any API"))
            continue
        if name in _ACTION_NEEDS:
            need(_ACTION_NEEDS[name], step, f"uses {name}")
        conditional = _conditional_needs(step, name)
        if conditional:
            need(conditional, step, f"uses {name}")
        if name in _ACTION_NEEDS or name in _NO_WRITE_ACTIONS or conditional:
            continue
        if any(_GITHUB_TOKEN_REF.search(_text(_with(step, k))) for k in _TOKEN_INPUTS):
            out.opaque.append(Location(wf.path, step.line, f"passes the token to {name}"))
        elif not name.startswith(("actions/", "github/")):
            out.unknown_actions.append(name)
    return out


def _conditional_needs(step: Step, name: str) -> tuple[str, ...]:
    """Needs that depend on the inputs: OIDC logins, registry pushes."""
    w = step.with_ if isinstance(step.with_, dict) else {}
    if name == "aws-actions/configure-aws-credentials" and w.get("role-to-assume") and not w.get(
            "aws-secret-access-key"):
        return ("id-token",)
    if name == "google-github-actions/auth" and w.get("workload_identity_provider"):
        return ("id-token",)
    if name == "azure/login" and w.get("client-id") and not w.get("creds"):
        return ("id-token",)
    if name == "hashicorp/vault-action" and _text(w.get("method")).lower() == "jwt":
        return ("id-token",)
    if name == "pypa/gh-action-pypi-publish" and not w.get("password"):
        return ("id-token",)
    if name == "docker/login-action" and ("ghcr.io" in _text(w.get("registry"))
                                          or _GITHUB_TOKEN_REF.search(_text(w.get("password")))):
        return ("packages",)  # GITHUB_TOKEN only logs in to ghcr.io
    if name == "docker/build-push-action" and "ghcr.io" in _text(w.get("tags")) and _text(w.get("push")) in (
            "true", "True"):
        return ("packages",)
    return ()


def _local_workflow(model: PipelineModel, uses: str) -> Workflow | None:
    if not uses.startswith("./"):
        return None
    path = uses[2:].split("@", 1)[0]
    for wf in model.workflows:
        if wf.path == path:
            return wf
    return None


# --- client exposure --------------------------------------------------------------------------

_SECRET_WORD = lazy_re(r"SECRET|SERVICE_ROLE|PRIVATE|PASSWORD|PASSWD")
# Words that may follow the secret word and still name the secret itself (..._SECRET_KEY, ..._PASSWORD_B64).
_SECRET_TAIL = frozenset({"KEY", "KEYS", "TOKEN", "ACCESS", "B64", "BASE64", "JSON", "PEM", "VALUE", "HASH", "PROD",
                          "PRODUCTION", "LIVE", "DEV", "TEST", "STAGING", "ID"})
# Public by design: search-only, publishable, anonymous and site keys.
_PUBLIC_BY_DESIGN = lazy_re(r"SEARCH|PUBLISHABLE|ANON|SITE_KEY|PUBLIC_KEY")
# Providers whose API keys are server secrets (billing, mail sending, data access): none has a browser-safe key,
# unlike Firebase web config, Mapbox pk., Sentry DSNs, PostHog or analytics ids.
_SECRET_PROVIDERS = frozenset({
    "OPENAI", "ANTHROPIC", "CLAUDE", "GROQ", "MISTRAL", "COHERE", "REPLICATE", "HUGGINGFACE", "HF", "GEMINI",
    "DEEPSEEK", "PERPLEXITY", "ELEVENLABS", "OPENROUTER", "TOGETHER", "FIREWORKS", "XAI", "PINECONE", "LANGCHAIN",
    "LANGSMITH", "TAVILY", "SERPAPI", "SENDGRID", "MAILGUN", "POSTMARK", "RESEND", "BREVO", "MAILCHIMP", "TWILIO",
    "GITHUB", "AIRTABLE", "NOTION", "DATABASE"})
_KEY_WORDS = frozenset({"KEY", "APIKEY", "TOKEN", "SECRET", "AUTH", "PAT", "PASSWORD", "ACCESS"})
_CONNECTION_STRING = lazy_re(r"(?:^|_)(?:DATABASE|DB|POSTGRES(?:QL)?|PG|MONGO(?:DB)?|MYSQL|REDIS|SUPABASE_DB)"
                                r"_(?:URL|URI|DSN)$|CONNECTION_STRING$")


def secret_looking_public_name(name: str) -> bool:
    """NEXT_PUBLIC_STRIPE_SECRET_KEY yes; NEXT_PUBLIC_PASSWORD_MIN_LENGTH and VITE_ALGOLIA_SEARCH_KEY no."""
    prefix = public_prefix(name)
    if not prefix:
        return False
    rest = name[len(prefix):]
    if _PUBLIC_BY_DESIGN.search(rest):
        return False
    words = [w for w in rest.split("_") if w]
    if _SECRET_PROVIDERS.intersection(words) and _KEY_WORDS.intersection(words):
        return True  # VITE_OPENAI_API_KEY, NEXT_PUBLIC_RESEND_API_KEY, VITE_TWILIO_AUTH_TOKEN
    if _CONNECTION_STRING.search(rest):
        return True  # NEXT_PUBLIC_DATABASE_URL: a password-bearing connection string
    for m in _SECRET_WORD.finditer(rest):
        tail = [t for t in rest[m.end():].split("_") if t]
        if all(t in _SECRET_TAIL for t in tail):
            return True
    return False


def public_by_value(value: str) -> bool:
    """Values that are safe in a browser whatever the name says."""
    v = value.strip()
    if v.startswith(("pk_live_", "pk_test_", "sb_publishable_")):
        return True
    m = JWT_RX.search(v)
    return bool(m and jwt_role(m.group(0)) == "anon")


_SERVER_PATH = lazy_re(
    r"(^|/)(pages/api|app/api|api|server|servers|supabase/functions|netlify/functions|functions|lambda|lambdas|"
    r"scripts|prisma|migrations|backend|cron|jobs|workers?|tools|bin|cli|__mocks__)/"
    r"|\.server\.[jt]sx?$|(^|/)(route|server|api|worker|seed|middleware)\.[mc]?[jt]s$|(^|/)\+server\.[jt]s$"
    r"|\.config\.[mc]?[jt]s$|(^|/)(test|tests|__tests__|e2e|cypress|playwright)/|\.(test|spec)\.[jt]sx?$")
_USE_CLIENT = lazy_re(r"""^\s*['"]use client['"]""", re.M)
_SERVER_MARK = lazy_re(r"""^\s*(?:import\s+['"]server-only['"]|['"]use server['"])""", re.M)
_SERVICE_ROLE = lazy_re(r"service[_-]?role", re.I)
_CREATE_CLIENT = lazy_re(r"createClient\s*(?:<[^>]*>)?\s*\(([^;]{0,300}?)\)", re.S)
_SERVICE_ROLE_LOW = lazy_re(r"service[_-]?role")
# An environment read: bundlers inline only public-prefixed names, any other name is undefined in the browser.
_ENV_READ = lazy_re(r"(?:process\.env|import\.meta\.env)(?:\s*\.\s*|\[\s*['\"`])([A-Za-z_][A-Za-z0-9_]*)"
                       r"|Deno\.env\.get\(\s*['\"]([A-Za-z_][A-Za-z0-9_]*)")


def _without_private_env_reads(text: str) -> str:
    """The text with reads of unprefixed env names cut out: what is left is what a bundler could ship."""
    return _ENV_READ.sub(lambda m: m.group(0) if public_prefix(m.group(1) or m.group(2) or "") else "", text)
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")  # re.I folds these onto i/s/k; str.lower() does not


def _mentions_service_role(text: str) -> bool:
    """_SERVICE_ROLE.search(text), faster on whole files: a case-insensitive regex has no fast literal scan."""
    if text.isascii() or not any(c in text for c in _FOLDS_TO_ASCII):
        return _SERVICE_ROLE_LOW.search(text.lower()) is not None
    return _SERVICE_ROLE.search(text) is not None


@dataclass
class ClientFile:
    path: str
    client: bool  # shipped to the browser
    certain: bool  # by directive or framework rule, not by folder name alone
    why: str


def classify_client_file(project: Project, path: str, frameworks: set[str]) -> ClientFile | None:
    """Is this JS/TS file browser code? None when it is server-side or we cannot tell."""
    low = path.lower()
    if low.startswith("public/") or "/public/" in low:
        return ClientFile(path, True, True, "public/ is served as-is")
    if not low.endswith(JS_EXTS):
        return None
    text = project.text(path) or ""
    head = text[:2000]
    if _SERVER_MARK.search(head):
        return None
    if _USE_CLIENT.search(head):
        return ClientFile(path, True, True, '"use client" component')
    if _SERVER_PATH.search(low):
        return None
    nextjs = "nextjs" in frameworks
    parts = low.split("/")
    if nextjs:
        if "pages" in parts and not re.search(r"getServerSideProps|getStaticProps|getInitialProps", text):
            return ClientFile(path, True, True, "Next.js page (rendered in the browser)")
        if "app" in parts or "components" in parts:
            # Server Components by default: only "server-only" guarantees it never reaches a client bundle.
            return ClientFile(path, True, False, "not marked server-only; one client import puts it in the bundle")
        return None
    bundled = "vite" in frameworks or "expo" in frameworks or "cra" in frameworks
    if bundled and (parts[0] in ("src", "app", "components") or "src" in parts[:2]):
        return ClientFile(path, True, True, "browser bundle source")
    if "components" in parts:
        return ClientFile(path, True, False, "component folder")
    return None


def client_frameworks(project: Project) -> set[str]:
    """Frontend build tools, from package.json files (stack detection does not name Vite/CRA/Expo)."""
    found = set(project.stacks.frameworks)
    for pkg in project.files.named("package.json"):
        deps = npm_dependencies(project, pkg)  # a broken manifest just tells us nothing
        if "next" in deps:
            found.add("nextjs")
        if "vite" in deps:
            found.add("vite")
        if "react-scripts" in deps:
            found.add("cra")
        if "expo" in deps:
            found.add("expo")
    return found


# --- the check ---------------------------------------------------------------------------------

_PAT_NAME = lazy_re(r"(?:^|_)PAT(?:_|$)|PERSONAL_?ACCESS_?TOKEN|PERSONAL_?TOKEN", re.I)
# Words that may sit around PAT in a GitHub token's name; any other word names a vendor (CROWDIN_PERSONAL_TOKEN).
_GITHUB_PAT_WORDS = frozenset({"GH", "GITHUB", "BOT", "REPO", "RELEASE", "ADMIN", "WORKFLOW", "WORKFLOWS", "MY", "CI",
                               "ACTIONS", "DEPLOY", "PUSH", "ORG", "CLASSIC", "FINE", "GRAINED", "TOKEN", "ACCESS",
                               "PERSONAL", "PAT", "WRITE", "READ", "API"})


def github_pat_name(name: str) -> bool:
    """GH_PAT, BOT_PAT, PERSONAL_ACCESS_TOKEN yes; CROWDIN_PERSONAL_TOKEN, NPM_PAT no."""
    if not _PAT_NAME.search(name):
        return False
    return all(w in _GITHUB_PAT_WORDS or w.isdigit() for w in name.upper().split("_") if w)
_HEAD_REF = lazy_re(
    r"github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref|refs/pull/|pull_request\.merge_commit_sha|"
    r"github\.event\.workflow_run\.head_(?:sha|branch|commit)|github\.event\.number|"
    r"github\.event\.pull_request\.number")
_HEAD_CHECKOUT_RUN = lazy_re(r"\bgh\s+pr\s+checkout\b|\bgit\s+(?:fetch|checkout|switch|pull)\b[^\n]*"
                                r"(?:head_ref|pull_request\.head|refs/pull/|workflow_run\.head|pull/\$)")
_TRUSTED_EVENT = lazy_re(r"workflow_run\.event\s*==\s*'push'|workflow_run\.event\s*!=\s*'pull_request'|"
                            r"head_repository\.full_name\s*==\s*github\.repository|head_repository\.fork\s*==\s*false|"
                            r"pull_request\.head\.repo\.full_name\s*==\s*github\.repository")
_GATE = lazy_re(r"labels|author_association|github\.actor\s*==|github\.triggering_actor\s*==")
_GITLAB_SECRET = lazy_re(r"TOKEN|SECRET|PASSWORD|PASSWD|_KEY$|KEY_|PRIVATE|CREDENTIAL|DSN|DATABASE_URL|AUTH|"
                            r"API_KEY|WEBHOOK|SSH", re.I)
# Credentials that deploy or reach production: outside a deploy job they still deserve an environment.
_DEPLOY_GRADE = lazy_re(
    r"^(?:VERCEL|NETLIFY|FLY|FLY_API|HEROKU|RAILWAY|RENDER|CLOUDFLARE|DIGITALOCEAN|SUPABASE)_(?:API_|AUTH_|ACCESS_|"
    r"DEPLOY_)?(?:TOKEN|KEY)$|AWS_SECRET_ACCESS_KEY|AZURE_CREDENTIALS|GCP_(?:SA_)?(?:KEY|CREDENTIALS)|"
    r"GOOGLE_(?:APPLICATION_)?CREDENTIALS|SERVICE_ACCOUNT_KEY|(?:^|_)SSH_(?:PRIVATE_)?KEY$|^DEPLOY_(?:KEY|TOKEN)$|"
    r"KUBE_?CONFIG|SERVICE_ROLE|^PROD(?:UCTION)?_\w*(?:DATABASE|DB_|PASSWORD|TOKEN|KEY)", re.I)
_SCAN_LIMIT = 4000  # JS/TS files examined for client exposure; bigger repos are sampled in path order


class LeastPrivilege(Check):
    id = "least-privilege"
    question = "Do tokens have only the permissions they need?"
    why = ("A CI token with write access, or a personal token, turns one compromised step or dependency into "
           "pushed code, published packages or stolen cloud credentials; a secret key shipped in a browser "
           "bundle is readable by every visitor.")
    fix = ("Declare `permissions:` at the top of every workflow (`contents: read`), grant writes only on the jobs "
           "that need them, use GitHub App tokens instead of personal ones, keep deploy secrets in environments, "
           "and never give a secret a browser-public name (NEXT_PUBLIC_, VITE_, ...).")
    good_example = ("permissions:\n  contents: read\njobs:\n  release:\n    permissions:\n      contents: write\n"
                    "    environment: production")
    bad_example = ("on: pull_request_target\npermissions: write-all\njobs:\n  test:\n    steps:\n"
                   "      - uses: actions/checkout@v4\n"
                   "        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n"
                   "      - run: npm test")
    rules = (
        Rule("no-permissions-block", Severity.MEDIUM,
             "A GitHub workflow declares no `permissions:`, so its token gets the repository/org default "
             "(read-write on older repositories).",
             "Add `permissions: {contents: read}` at the top; grant writes per job."),
        Rule("write-all", Severity.HIGH, "`permissions: write-all` gives the token every write scope.",
             "List the scopes the job needs instead (e.g. `contents: write`)."),
        Rule("read-all", Severity.LOW, "`permissions: read-all` reads every scope; most workflows need only contents.",
             "Use `permissions: {contents: read}` plus what the jobs really read."),
        Rule("top-level-write", Severity.MEDIUM,
             "A workflow-level write scope is needed by only some jobs, yet every job gets it.",
             "Move the write scope to the jobs that need it; keep the top level read-only."),
        Rule("unused-write-scope", Severity.MEDIUM,
             "A write scope is granted but no step in the jobs that get it needs it.",
             "Remove the write scope (or set it to read)."),
        Rule("pat-where-app-token", Severity.MEDIUM,
             "A personal access token is used where GITHUB_TOKEN or a GitHub App token would do.",
             "Use actions/create-github-app-token (short-lived, scoped to this repo) or GITHUB_TOKEN with the "
             "scope needed."),
        Rule("secrets-outside-env", Severity.MEDIUM,
             "A job that does not deploy holds deploy-grade credentials (platform tokens, cloud keys, production "
             "database) without an `environment:`, so no protection rule guards them. Deploy jobs without an "
             "environment are reported once, by environments (deploy-without-environment).",
             "Move the credentials to an environment (`environment: production`) or drop them from the job."),
        Rule("untrusted-checkout", Severity.CRITICAL,
             "A pull_request_target/workflow_run workflow checks out the pull request's code and runs it with "
             "a privileged token and secrets.",
             "Use `on: pull_request` for building PR code; if you need pull_request_target, never check out or "
             "run the PR head in it."),
        Rule("secrets-inherit", Severity.LOW,
             "`secrets: inherit` passes every secret to the called workflow.",
             "Pass only the secrets the called workflow declares."),
        Rule("client-exposed-secret", Severity.HIGH,
             "A browser-public variable (NEXT_PUBLIC_, VITE_, REACT_APP_, EXPO_PUBLIC_, PUBLIC_, ...) is named "
             "like a secret: the bundler inlines it for every visitor.",
             "Rename it without the public prefix and use it only in server code; rotate the value if it shipped."),
        Rule("service-role-in-client", Severity.CRITICAL,
             "A Supabase service_role key (bypasses Row Level Security) is used in or shipped to browser code.",
             "Use the anon key in the browser; call service_role only from server routes or edge functions, and "
             "rotate the key if it shipped."),
        Rule("service-role-key-committed", Severity.CRITICAL,
             "A literal Supabase service_role key (a JWT with role service_role) is committed in CI configuration.",
             "Rotate the key in Supabase, store the new one as a CI secret and reference it as `${{ secrets.X }}`."),
        Rule("permissions-unparsed", Severity.INFO,
             "The CI configuration could not be read (a reader error), so token use in CI was not judged.",
             "Report the error; invalid workflow files themselves are reported by tests-before-deploy."),
    )

    def run(self, project: Project) -> CheckResult:
        return self.run_with_pipeline(project, self.evaluate, "permissions-unparsed")

    def evaluate(self, project: Project, model: PipelineModel) -> CheckResult:
        findings: list[Finding] = []
        evidence: list[Location] = []
        github = [wf for wf in model.workflows if wf.provider == "github"]
        gitlab = [wf for wf in model.workflows if wf.provider == "gitlab"]
        handed: list[str] = []  # deploy jobs with secrets but no environment: environments reports them
        for wf in github:
            findings.extend(self._permissions(wf, model, evidence))
            findings.extend(self._personal_tokens(wf))
            findings.extend(self._untrusted_checkout(wf, model))
            findings.extend(self._secrets(wf, handed))
            findings.extend(self._workflow_public_env(wf))
        for wf in gitlab:
            findings.extend(self._gitlab_secrets(wf, evidence, handed))
        client_evidence, client_findings = client_exposure(project)
        findings.extend(client_findings)
        return self._status(findings, evidence, client_evidence, github, gitlab, model, handed)

    # --- GITHUB_TOKEN permissions -----------------------------------------------------------
    def _permissions(self, wf: Workflow, model: PipelineModel, evidence: list[Location]) -> list[Finding]:
        out: list[Finding] = []
        reusable_only = bool(wf.triggers) and all(t.event == "workflow_call" for t in wf.triggers)
        top = wf.permissions
        if top is not None:
            evidence.append(Location(wf.path, top.line or wf.line, f"workflow permissions: {_describe(top)}"))
        live = [j for j in wf.jobs.values() if not never_runs(j)]  # `if: false` jobs are switched off
        for job in live:
            if job.permissions is not None:
                evidence.append(Location(wf.path, job.permissions.line or job.line,
                                         f"job {job.id} permissions: {_describe(job.permissions)}"))
        inheriting = [j for j in live if j.permissions is None]
        if top is None and inheriting and not reusable_only:
            names = ", ".join(j.id for j in inheriting[:6]) + (" ..." if len(inheriting) > 6 else "")
            out.append(self.finding(
                "no-permissions-block",
                f"{wf.path} declares no `permissions:` (jobs without their own: {names}); the token gets the "
                "repository or organisation default, which the repository cannot show (read-write on repositories "
                "created before February 2023 unless changed in Settings > Actions).",
                wf.path, wf.line, key=f"{wf.path}", evidence=f"jobs without permissions: {names}"))
        for owner, perms, line in [("workflow", top, top.line if top else 0)] + [
                (f"job {j.id}", j.permissions, j.permissions.line if j.permissions else 0) for j in live]:
            if perms is None:
                continue
            if perms.kind == "write-all":
                out.append(self.finding("write-all", f"{owner} in {wf.path} grants `write-all`: every job step can "
                                        "push code, publish packages and edit workflows.", wf.path, line or wf.line,
                                        key=f"{owner}", evidence="permissions: write-all"))
            elif perms.kind == "read-all":
                out.append(self.finding("read-all", f"{owner} in {wf.path} grants `read-all`.", wf.path,
                                        line or wf.line, key=f"{owner}", evidence="permissions: read-all"))
        if top is not None and top.kind == "map" and inheriting:
            out.extend(self._top_level_writes(wf, model, top, inheriting))
        for job in live:
            if job.permissions is not None and job.permissions.kind == "map":
                out.extend(self._job_level_writes(wf, model, job))
        return out

    def _top_level_writes(self, wf: Workflow, model: PipelineModel, top: Any, inheriting: list[Job]) -> list[Finding]:
        out: list[Finding] = []
        needs = {j.id: job_needs(wf, j, model) for j in inheriting}
        unresolved_calls = all(j.uses and any("reusable workflow" in o.note for o in needs[j.id].opaque)
                               for j in inheriting)
        for scope in top.writes():
            users = [jid for jid, n in needs.items() if scope in n.scopes]
            line = top.line or wf.line
            if users and len(users) < len(inheriting):
                others = [jid for jid in needs if jid not in users]
                related = [needs[jid].scopes[scope] for jid in users]
                out.append(self.finding(
                    "top-level-write",
                    f"`{scope}: write` is granted to every job in {wf.path} but only {', '.join(users)} need it "
                    f"({related[0].note}); {', '.join(others[:5])} get it for nothing.",
                    wf.path, line, key=f"top:{scope}", evidence=f"{scope}: write",
                    confidence=Confidence.LOW if any(needs[jid].opaque for jid in others) else Confidence.HIGH,
                    fix=f"Set `{scope}: read` (or drop it) at the top and add `permissions: {{{scope}: write}}` to "
                        f"{', '.join(users)}.", related=related))
            elif not users and not unresolved_calls:  # a called workflow's needs are not visible here
                out.append(self._unused(wf, scope, line, list(needs.values()), "every job", f"top:{scope}"))
        return out

    def _job_level_writes(self, wf: Workflow, model: PipelineModel, job: Job) -> list[Finding]:
        """Explicit job grants are the right place for writes; flag them (low) only when clearly unused."""
        out: list[Finding] = []
        assert job.permissions is not None
        needs = job_needs(wf, job, model)
        if needs.opaque or needs.unknown_actions:
            return out
        for scope in job.permissions.writes():
            if scope not in needs.scopes:
                out.append(self.finding(
                    "unused-write-scope",
                    f"job {job.id} in {wf.path} is granted `{scope}: write` but none of its steps needs it.",
                    wf.path, job.permissions.line or job.line, key=f"job:{job.id}:{scope}",
                    evidence=f"{scope}: write", severity=Severity.LOW, confidence=Confidence.MEDIUM))
        return out

    def _unused(self, wf: Workflow, scope: str, line: int, needs: list[JobNeeds], who: str, key: str) -> Finding:
        opaque = [loc for n in needs for loc in n.opaque]
        unknown = sorted({a for n in needs for a in n.unknown_actions})
        if opaque:
            confidence, severity = Confidence.LOW, Severity.LOW
            caveat = f" ({opaque[0].note} at line {opaque[0].line}: that use could not be checked)"
        elif unknown:
            confidence, severity = Confidence.MEDIUM, Severity.MEDIUM
            caveat = f" (not in the knowledge base, may use the token: {', '.join(unknown[:3])})"
        else:
            confidence = Confidence.HIGH
            severity = Severity.HIGH if scope in _HIGH_IMPACT else Severity.MEDIUM
            caveat = ""
        return self.finding(
            "unused-write-scope",
            f"`{scope}: write` is granted to {who} in {wf.path} but no step needs it{caveat}.",
            wf.path, line, key=key, evidence=f"{scope}: write", severity=severity, confidence=confidence,
            related=opaque[:3])

    # --- personal tokens --------------------------------------------------------------------
    def _personal_tokens(self, wf: Workflow) -> list[Finding]:
        out: dict[str, Finding] = {}

        def add(name: str, step_line: int, why: str) -> None:
            if name == "GITHUB_TOKEN" or name in out:
                return
            out[name] = self.finding(
                "pat-where-app-token",
                f"secrets.{name} {why} in {wf.path}: a personal token acts as its owner on every repository they "
                "can reach and rarely expires; a GitHub App token (actions/create-github-app-token) is short-lived "
                "and scoped to this repository.",
                wf.path, step_line, key=f"{name}", evidence=f"secrets.{name}", confidence=Confidence.MEDIUM)

        for job in wf.jobs.values():
            job_env = job.raw.get("env") if isinstance(job.raw, dict) else None
            for step in job.steps:
                name = action_name(step.uses)
                w = step.with_ if isinstance(step.with_, dict) else {}
                for key, value in w.items():
                    if key in _TOKEN_INPUTS and (key != "token" or name in (
                            "actions/checkout", "peter-evans/repository-dispatch", "peter-evans/create-pull-request")
                            or "dispatch" in name):
                        for secret in secret_names(value):
                            add(secret, line_of(w, key, step.line) or step.line, f"is passed as `{key}` to {name}")
                env_sources = [step.env if isinstance(step.env, dict) else {}]
                if isinstance(job_env, dict):
                    env_sources.append(job_env)
                runs_gh = bool(step.run and re.search(r"\bgh\s|\bgit\s+push\b|/dispatches\b", step.run))
                if runs_gh:
                    for env in env_sources:
                        for key in ("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN"):
                            for secret in secret_names(env.get(key)):
                                add(secret, line_of(env, key, step.line) or step.line,
                                    f"is given to `gh`/git as {key}")
                    if "/dispatches" in step.run:  # type: ignore[operator]
                        for secret in secret_names(step.run):
                            add(secret, step.run_line or step.line, "calls repository dispatch")
            for use in job.secrets:
                if github_pat_name(use.name):
                    add(use.name, use.line or job.line, "is named as a personal access token and used")
        return list(out.values())

    # --- pull_request_target / workflow_run -------------------------------------------------
    def _untrusted_checkout(self, wf: Workflow, model: PipelineModel) -> list[Finding]:
        trig = wf.trigger("pull_request_target") or wf.trigger("workflow_run")
        if trig is None:
            return []
        why = ""
        if trig.event == "workflow_run":
            upstream = _upstream_workflows(model, trig.workflows)
            if upstream is not None:
                prs = [u for u in upstream if u.trigger("pull_request") or u.trigger("pull_request_target")]
                if not prs:
                    return []  # only pushes (trusted branches) can start the upstream workflows
                t = prs[0].trigger("pull_request") or prs[0].trigger("pull_request_target")
                why = (f" The upstream workflow {prs[0].path} runs on pull requests (line {t.line if t else 1}), so a "
                       "fork's pull request - even from a branch named like yours - starts this workflow.")
        out: list[Finding] = []
        for job in wf.jobs.values():
            if _TRUSTED_EVENT.search(f"{job.condition or ''}"):
                continue
            head: Step | None = None
            for step in job.steps:
                if head is None:
                    ref = " ".join(_text(_with(step, k)) for k in ("ref", "repository"))
                    checkout = action_name(step.uses) == "actions/checkout" and _HEAD_REF.search(ref)
                    if checkout or (step.run and _HEAD_CHECKOUT_RUN.search(step.run)):
                        head = step
                    continue
                runs = bool(step.run) or action_name(step.uses).startswith("./") or bool(
                    step.kinds & {StepKind.BUILD, StepKind.TEST, StepKind.DEPLOY, StepKind.PUBLISH})
                if runs:
                    gated = job.environment or _GATE.search(job.condition or "") or _GATE.search(step.condition or "")
                    sev = Severity.HIGH if gated else Severity.CRITICAL
                    gate_note = (" The job is gated (environment or label/actor condition): make sure that gate "
                                 "requires a maintainer's approval for every new commit." if gated else "")
                    out.append(self.finding(
                        "untrusted-checkout",
                        f"job {job.id} in {wf.path} runs on `{trig.event}` (privileged token and secrets), checks "
                        f"out the pull request's code at line {head.line} and then runs it at line {step.line}: "
                        f"anyone opening a pull request can execute code with this workflow's rights.{why}{gate_note}",
                        wf.path, head.line, key=f"{job.id}", severity=sev,
                        evidence=(_text(_with(head, "ref")) or _text(head.run).strip())[:120],
                        related=[Location(wf.path, trig.line or wf.line, f"on: {trig.event}"),
                                 Location(wf.path, step.line, f"runs {step.label}")]))
                    break
            else:
                if head is not None:
                    out.append(self.finding(
                        "untrusted-checkout",
                        f"job {job.id} in {wf.path} runs on `{trig.event}` and checks out the pull request's code; "
                        "nothing visibly runs it, but any later tool that reads the tree (a config file, a script, "
                        "a cache) runs attacker-controlled content with this workflow's token.",
                        wf.path, head.line, key=f"{job.id}", severity=Severity.MEDIUM, confidence=Confidence.MEDIUM,
                        evidence=_text(_with(head, "ref"))[:120]))
        return out

    # --- secrets and environments -------------------------------------------------------------
    def _job_secret_uses(self, job: Job) -> list[tuple[str, int]]:
        seen: dict[str, int] = {}
        for use in job.secrets:
            name = "toJSON(secrets)" if use.name == "*" else use.name
            seen.setdefault(name, use.line or job.line)
        return [(n, line) for n, line in seen.items() if n != "GITHUB_TOKEN"]

    def _secrets(self, wf: Workflow, handed: list[str]) -> list[Finding]:
        """Deploy jobs are left to environments' deploy-without-environment (one finding per job); here only
        non-deploy jobs, flagged when they hold deploy-grade credentials outside an environment."""
        out: list[Finding] = []
        quiet: list[str] = []
        for job in wf.jobs.values():
            if never_runs(job):
                continue
            if job.secrets_inherit:
                out.append(self.finding("secrets-inherit",
                                        f"job {job.id} in {wf.path} passes every repository secret to {job.uses} "
                                        "with `secrets: inherit`.", wf.path, job.line, key=f"{job.id}",
                                        evidence="secrets: inherit"))
            uses = self._job_secret_uses(job)
            if not uses or job.environment:
                continue
            if job.has(StepKind.DEPLOY):
                handed.append(f"{job.id} in {wf.path}")
                continue
            # A reusable-workflow call cannot take `environment:`; the called workflow's jobs do.
            sensitive = [] if job.uses else sorted({n for n, _ in uses if _DEPLOY_GRADE.search(n)})
            if sensitive:
                line = next(ln for n, ln in uses if n == sensitive[0])
                out.append(self.finding(
                    "secrets-outside-env",
                    f"job {job.id} in {wf.path} does not deploy (as far as its steps show) but holds deploy-grade "
                    f"credentials ({', '.join(sensitive[:5])}) without `environment:`: every branch that runs it can "
                    "read them; move them to an environment or drop them from this job.",
                    wf.path, line, key=f"{job.id}", evidence=", ".join(sensitive[:5]), confidence=Confidence.MEDIUM))
            else:
                quiet.append(job.id)
        if quiet:
            out.append(self.finding(
                "secrets-outside-env",
                f"{len(quiet)} non-deploy job(s) in {wf.path} use repository secrets without an environment "
                f"({', '.join(quiet[:5])}); fine for test credentials, but deploy credentials belong in an "
                "environment.",
                wf.path, wf.line, key="non-deploy", severity=Severity.INFO, confidence=Confidence.MEDIUM))
        return out

    def _gitlab_secrets(self, wf: Workflow, evidence: list[Location], handed: list[str]) -> list[Finding]:
        for job in wf.jobs.values():
            if not job.has(StepKind.DEPLOY) or never_runs(job):
                continue
            if job.environment:
                evidence.append(Location(wf.path, job.environment_line or job.line,
                                         f"deploy job {job.id} runs in environment {job.environment}"))
            elif deploy_secret_names(job):
                handed.append(f"{job.id} in {wf.path}")
        return []

    def _workflow_public_env(self, wf: Workflow) -> list[Finding]:
        out: list[Finding] = self._literal_service_role(wf)
        envs: list[tuple[Any, int]] = [(wf.env, wf.line)]
        for job in wf.jobs.values():
            if isinstance(job.raw, dict):
                envs.append((job.raw.get("env"), job.line))
            envs.extend((s.env, s.line) for s in job.steps)
        seen: set[str] = set()
        for env, default_line in envs:
            if not isinstance(env, dict):
                continue
            for name, value in env.items():
                if not isinstance(name, str) or name in seen:
                    continue
                line = line_of(env, name, default_line) or default_line
                f = self._public_name_finding(wf.path, line, name, _text(value))
                if f:
                    seen.add(name)
                    out.append(f)
        return out

    def _literal_service_role(self, wf: Workflow) -> list[Finding]:
        """A service_role JWT pasted into a workflow: every reader of the repository can bypass RLS."""
        values: list[tuple[Any, int]] = [(wf.env, wf.line)]
        for job in wf.jobs.values():
            values.append((job.raw.get("env") if isinstance(job.raw, dict) else None, job.line))
            for s in job.steps:
                values += [(s.env, s.line), (s.with_, s.line), (s.run, s.run_line or s.line)]
        for value, line in values:
            items = value.items() if isinstance(value, dict) else [(None, value)]
            for key, v in items:
                m = JWT_RX.search(_text(v))
                if m and jwt_role(m.group(0)) == "service_role":
                    at = line_of(value, key, line) if key is not None else line
                    return [self.finding(
                        "service-role-key-committed",
                        f"{wf.path} is CI configuration with a literal Supabase service_role key committed in it"
                        f"{f' ({key})' if key else ''}: anyone who can read the repository or its history can bypass "
                        "Row Level Security; rotate the key and pass it as `${{ secrets.… }}`.",
                        wf.path, at or line, key="literal-jwt", evidence=redact(m.group(0)))]
        return []

    # --- client exposure ----------------------------------------------------------------------
    def _public_name_finding(self, path: str, line: int, name: str, value: str) -> Finding | None:
        m = JWT_RX.search(value)
        if m and jwt_role(m.group(0)) == "service_role" and public_prefix(name):
            return self.finding(
                "service-role-in-client",
                f"{name} in {path} holds a Supabase service_role key under a browser-public name: it is inlined "
                "into the client bundle and bypasses Row Level Security for anyone.",
                path, line, key=f"{name}", evidence=f"{name}={redact(m.group(0))}")
        if public_prefix(name) and "SERVICE_ROLE" in name and not public_by_value(value):
            return self.finding(
                "service-role-in-client",
                f"{name} in {path} gives the Supabase service_role key a browser-public name: the bundler inlines "
                "it for every visitor, and it bypasses Row Level Security.",
                path, line, key=f"{name}", evidence=name)
        if not secret_looking_public_name(name) or public_by_value(value):
            return None
        if "ALGOLIA" in name:
            return self.finding(
                "client-exposed-secret",
                f"{name} in {path} is public to the browser; fine only if it is a search-only Algolia key "
                "(an admin key here lets anyone rewrite the index).", path, line, key=f"{name}",
                evidence=name, severity=Severity.LOW, confidence=Confidence.LOW)
        return self.finding(
            "client-exposed-secret",
            f"{name} in {path} is named like a secret but its prefix makes the bundler ship it to every browser.",
            path, line, key=f"{name}", evidence=name)

    def _client_exposure(self, project: Project) -> tuple[list[Location], list[Finding]]:
        findings: list[Finding] = []
        examined: list[Location] = []
        for path in project.files.paths():
            if not is_env_file(path):
                continue
            lines = project.lines(path)
            if not lines:
                continue
            examined.append(Location(path, None, "env file examined for browser-public secrets"))
            for no, name, value in env_assignments(lines):
                f = self._public_name_finding(path, no, name, value)
                if f:
                    findings.append(f)
        frameworks = client_frameworks(project)
        js = [p for p in project.files.paths() if p.lower().endswith(JS_EXTS) and not _vendored(p)]
        client_count = 0
        for path in js[:_SCAN_LIMIT]:
            text = project.text(path)
            if not text:
                continue
            has_public = any(p in text for p in PUBLIC_PREFIXES)
            has_role = "service" in text.lower() or "eyJ" in text
            if not has_public and not has_role:
                continue
            seen: set[str] = set()
            if has_public:
                for no, line in enumerate(project.lines(path), 1):
                    for m in PUBLIC_NAME_RX.finditer(line):
                        name = m.group(0)
                        if name in seen:
                            continue
                        f = self._public_name_finding(path, no, name, "")
                        if f:
                            seen.add(name)
                            findings.append(f)
            if has_role:
                cf = classify_client_file(project, path, frameworks)
                already = any(f.path == path and f.rule == "service-role-in-client" for f in findings)
                if cf is not None and cf.client and not already:
                    client_count += 1
                    findings.extend(self._service_role(project, cf, frameworks))
        if js:
            examined.append(Location(None, None, f"{min(len(js), _SCAN_LIMIT)} JS/TS file(s) examined for "
                                     "browser-public secrets and service_role use"))
        return examined, findings

    def _service_role(self, project: Project, cf: ClientFile, frameworks: set[str] | None = None) -> list[Finding]:
        out: list[Finding] = []
        whole = project.text(cf.path) or ""
        if "eyJ" not in whole and not _mentions_service_role(whole):
            return out  # neither a JWT nor a service_role mention on any line: skip the per-line pass
        nextjs = "nextjs" in (frameworks or set())
        lines = project.lines(cf.path)
        for no, line in enumerate(lines, 1):
            stripped = line.strip()
            if stripped.startswith(("//", "*", "/*")):
                continue
            jwt = JWT_RX.search(line)
            if jwt and jwt_role(jwt.group(0)) == "service_role":
                out.append(self.finding(
                    "service-role-in-client",
                    f"{cf.path} ({cf.why}) contains a literal Supabase service_role key: anyone can read it from "
                    "the bundle and bypass Row Level Security.", cf.path, no, key="literal-jwt",
                    evidence=redact(jwt.group(0))))
                break
            if not _SERVICE_ROLE.search(line):
                continue
            if not _SERVICE_ROLE.search(_without_private_env_reads(line)):
                # Only an unprefixed env name mentions it: no bundler inlines that, so the key cannot ship.
                hint = self._private_env_read(cf, no, stripped, nextjs)
                if hint is not None:
                    out.append(hint)
                    break
                continue
            hint = ("; add `import 'server-only'` so it can never be bundled for the browser." if "Next" in cf.why
                    or "server-only" in cf.why else "; if it is bundled for the browser the key ships (or the "
                    "call fails); keep service_role use in server code or scripts outside the app bundle.")
            out.append(self.finding(
                "service-role-in-client",
                f"{cf.path} ({cf.why}) uses the Supabase service_role key"
                + ("; in browser code it either ships the key or breaks at runtime." if cf.certain else hint),
                cf.path, no, key="service-role-ref", evidence=redact_line(stripped)[:160],
                severity=Severity.CRITICAL if cf.certain else Severity.MEDIUM,
                confidence=Confidence.HIGH if cf.certain else Confidence.LOW))
            break
        if not out:
            text = project.text(cf.path) or ""
            for m in _CREATE_CLIENT.finditer(text):
                if _SERVICE_ROLE.search(_without_private_env_reads(m.group(1))):
                    no = text.count("\n", 0, m.start()) + 1
                    out.append(self.finding("service-role-in-client",
                                            f"{cf.path} ({cf.why}) creates a Supabase client with the service_role "
                                            "key.", cf.path, no, key="service-role-ref",
                                            evidence=redact_line(m.group(0))[:160]))
                    break
        return out

    def _private_env_read(self, cf: ClientFile, no: int, line: str, nextjs: bool) -> Finding | None:
        """An unprefixed service_role env read in a client file: Vite/CRA/Expo leave it undefined (quiet);
        Next.js client components also run on the server during SSR, so there it is a low hint."""
        if not nextjs:
            return None
        if cf.certain:
            return self.finding(
                "service-role-in-client",
                f"{cf.path} ({cf.why}) reads the service_role key from an unprefixed env variable: Next.js inlines "
                "only NEXT_PUBLIC_ names, so the key does not ship, but the browser gets undefined and server "
                "rendering of this component runs with service_role; move the call to a server file.",
                cf.path, no, key="service-role-ref", evidence=redact_line(line)[:160], severity=Severity.LOW,
                confidence=Confidence.MEDIUM)
        return self.finding(
            "service-role-in-client",
            f"{cf.path} ({cf.why}) reads the service_role key on the server; add `import 'server-only'` so a client "
            "import fails at build time instead of reading undefined.", cf.path, no, key="service-role-ref",
            evidence=redact_line(line)[:160], severity=Severity.INFO, confidence=Confidence.LOW)

    # --- status ----------------------------------------------------------------------------------
    def _status(self, findings: list[Finding], evidence: list[Location], client: list[Location],
                github: list[Workflow], gitlab: list[Workflow], model: PipelineModel,
                handed: list[str] | None = None) -> CheckResult:
        problems = [f for f in findings if f.severity.rank > Severity.INFO.rank]
        worst = max((f.severity for f in problems), key=lambda s: s.rank, default=None)
        counts = f"{len(problems)} finding(s)" if problems else "no findings"
        unparsed = unparsed_ci(model)
        handoff = (f"; deploy job(s) using secrets without an environment ({list_text(handed, 3)}) are reported by "
                   "the environments check (deploy-without-environment)" if handed else "")
        note = handoff + unparsed_note(unparsed)
        if worst is not None and worst.at_least(Severity.HIGH):
            return self.result(Status.FAIL, f"{counts}; worst: {worst.value}{note}", findings, evidence + client)
        if worst is not None:
            return self.result(Status.WARN, f"{counts}; worst: {worst.value}{note}", findings, evidence + client)
        if unparsed:
            return self.unknown(f"no problems in what could be read, but their token use is unknown{note}",
                                evidence + client, findings)
        if github:
            return self.result(Status.PASS,
                               f"{len(github)} GitHub workflow(s) declare scoped permissions; no browser-public "
                               f"secrets found{handoff}", findings, evidence + client)
        caveat = (" GitLab's CI_JOB_TOKEN scope lives in project settings, which the repository cannot show."
                  if gitlab else "")
        if client or evidence:
            said = "no browser-public secrets found" + handoff if handed else (
                "no deploy secrets outside environments and no browser-public secrets found")
            return self.result(Status.PASS, f"no GitHub workflows; {said}.{caveat}", findings, evidence + client)
        if gitlab:
            if handed:
                return self.unknown(f"no token scopes to judge: they live in the CI provider's settings{handoff}."
                                    + caveat, [], findings)
            return self.unknown("nothing to judge: no deploy jobs or client code found, and token scopes live in "
                                "the CI provider's settings." + caveat, [], findings)
        return self.unknown("no CI workflows and no client code: token scopes live in the CI provider's and "
                            "platform's settings, which the repository cannot show", [], findings)


def _upstream_workflows(model: PipelineModel, names: list[str]) -> list[Workflow] | None:
    """The workflows a workflow_run trigger listens to, or None when any of them is not in this repository."""
    if not names:
        return None
    out = []
    for name in names:
        match = [w for w in model.workflows if w.provider == "github" and (
            w.name == name or (not w.name and w.path.rsplit("/", 1)[-1].rsplit(".", 1)[0] == name) or w.path == name)]
        if not match:
            return None
        out.extend(match)
    return out


def deploy_secret_names(job: Job) -> list[str]:
    """Secrets (GitHub) or secret-looking CI variables (GitLab) a job reads, for findings about that job."""
    names = {("toJSON(secrets)" if u.name == "*" else u.name) for u in job.secrets if u.name != "GITHUB_TOKEN"}
    if job.workflow_path.endswith(".gitlab-ci.yml") or ".gitlab" in job.workflow_path:
        names = {n for n in names if _GITLAB_SECRET.search(n) and not n.startswith("CI_")}
    return sorted(names)


def only_previews(job: Job) -> bool:
    """Every deploy in the job is a preview deploy (no production traffic), per the step classifier."""
    try:
        from handrail.pipeline.classify import is_preview
    except ImportError:  # pragma: no cover - the classifier always ships with the model
        return False
    deploys = job.steps_of(StepKind.DEPLOY)
    return bool(deploys) and all(is_preview(s) for s in deploys)


def _describe(perms: Any) -> str:
    if perms.kind != "map":
        return perms.kind
    if not perms.scopes:
        return "{}"
    return ", ".join(f"{k}: {v}" for k, v in sorted(perms.scopes.items()))


def _vendored(path: str) -> bool:
    low = path.lower()
    return (low.endswith((".min.js", ".bundle.js", ".d.ts")) or "/dist/" in f"/{low}" or "/build/" in f"/{low}"
            or "/.next/" in f"/{low}" or "/static/js/" in low)


def client_exposure(project: Project) -> tuple[list[Location], list[Finding]]:
    """Browser-public secrets and service_role use in client code, scanned once per run (authz reads the
    service_role half: that key bypasses every Row Level Security policy)."""
    evidence, findings = project.memo("client-exposure", lambda: CHECK._client_exposure(project))
    return list(evidence), list(findings)


CHECK = LeastPrivilege()
