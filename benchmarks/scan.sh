#!/usr/bin/env bash
# Wapiti scan of a running cabinet, signed in as each demo role in turn: the subject, support staff (acting on the
# subject's behalf, so the act-on-behalf form and the cabinet's pages under it are crawled too), the translator and
# the administrator (last: its forms change roles, sessions and policies).
#
# The cabinet runs as in production (CABINET_ENV=production: Secure cookies, HSTS) under gunicorn with a
# throw-away self-signed certificate on a free loopback port, on a fresh SQLite database with the demo data,
# rate limits off, the catalogs copied (the translator pass saves into them). Reports go to test-artifacts/wapiti/: <pass>.json (with every crawled request and response),
# <pass>-html/, <pass>.log and the server's access.log. The exit status is non-zero when any vulnerability or anomaly
# is found that is not a reviewed false positive (see reviewed_false_positive), or when a pass did not reach the pages
# behind its sign-in.
#
#   bash benchmarks/scan.sh                 # every pass
#   SCAN_PASSES="translator admin" bash benchmarks/scan.sh
#   SCAN_MAX_TIME=900 bash benchmarks/scan.sh   # seconds per pass (crawl + attacks)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WAPITI_VERSION=3.2.3   # the newest wapiti3 for Python 3.11 (3.2.4 and later need 3.12)
WAPITI_VENV="$ROOT/.venv-wapiti"
APP_VENV="${VENV:-$ROOT/.venv}"
OUT="$ROOT/test-artifacts/wapiti"
PASSES="${SCAN_PASSES:-subject support translator admin}"
MAX_SCAN_TIME="${SCAN_MAX_TIME:-1200}"       # seconds per pass, crawl and attacks
MAX_ATTACK_TIME="${SCAN_MAX_ATTACK_TIME:-300}"  # seconds per module and pass
# what is attacked: injections, XSS (reflected and stored), redirects, header injection, CSRF, headers, CSP,
# cookies, uploads, command/file inclusion, HTTP methods, leftovers (backup, htaccess) and XXE. Not ldap: the cabinet
# has no directory server, and that module's differential test takes the cabinet's own validation messages (for the
# NUL byte or '*' in its payloads) for a changed query result. Not ssl/https_redirect: TLS is the proxy's job.
MODULES="${SCAN_MODULES:-sql,xss,permanentxss,redirect,crlf,csrf,http_headers,csp,cookieflags,upload,exec,file,methods,backup,htaccess,xxe}"

if [[ ! -x "$WAPITI_VENV/bin/wapiti" ]] || ! "$WAPITI_VENV/bin/wapiti" --version 2>/dev/null | grep -qx "$WAPITI_VERSION"; then
  python3.11 -m venv "$WAPITI_VENV" 2>/dev/null || python3 -m venv "$WAPITI_VENV"
  "$WAPITI_VENV/bin/python" -m pip install -q "wapiti3==$WAPITI_VERSION"
fi
"$APP_VENV/bin/python" -c "import gunicorn" 2>/dev/null || "$APP_VENV/bin/python" -m pip install -q gunicorn

WORK="$(mktemp -d)"
SERVER_PID=""
# shellcheck disable=SC2317  # run by the trap
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$APP_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="https://127.0.0.1:$PORT"
export CABINET_ENV=production
CABINET_SECRET_KEY="$(openssl rand -hex 32)"
export CABINET_SECRET_KEY
export CABINET_BASE_URL="$BASE"
CABINET_AUDIT_KEYS="{\"scan\": \"$(openssl rand -hex 32)\"}"
export CABINET_AUDIT_KEYS
openssl genpkey -algorithm ed25519 -out "$WORK/audit-signing.pem" 2>/dev/null
export CABINET_AUDIT_SIGNING_KEY="$WORK/audit-signing.pem" CABINET_AUDIT_CHECKPOINT_FILE="$WORK/audit-checkpoints.jsonl"
export CABINET_DATABASE_URL="sqlite:///$WORK/cabinet.sqlite"
export CABINET_UPLOAD_DIR="$WORK/uploads" CABINET_OUTBOX_DIR="$WORK/outbox" CABINET_QUEUE_URL="sqlite:///$WORK/queue.sqlite"
export CABINET_RATELIMIT_ENABLED=false
# production signs every PDF it serves: a throw-away operator key (the development certificate's kind)
"$APP_VENV/bin/python" -c 'import sys; from pathlib import Path; from cabinet.documents.keyfile import make_dev_certificate as m; m(Path(sys.argv[1]), "scan")' "$WORK/operator.p12"
export CABINET_SIGNING_PKCS12="$WORK/operator.p12"
cp -r "$ROOT/cabinet/translations" "$WORK/translations"   # what the translator pass saves must not land in the repository
export CABINET_TRANSLATIONS_DIR="$WORK/translations"

# the demo accounts' passwords are public, so the cabinet loads them only outside production
FLASK=(env CABINET_ENV=development "$APP_VENV/bin/flask" --app wsgi)
"${FLASK[@]}" i18n compile >/dev/null
"${FLASK[@]}" db upgrade 2>/dev/null
"${FLASK[@]}" demo | tee "$WORK/logins.txt"
login_of() { awk -v role="$1" '$1 == role {print $2, $3}' "$WORK/logins.txt"; }
read -r SUBJECT_EMAIL SUBJECT_PASSWORD <<<"$(login_of subject)"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
"$APP_VENV/bin/gunicorn" --config "$ROOT/gunicorn.conf.py" --bind "127.0.0.1:$PORT" --workers 2 --threads 4 --certfile "$WORK/cert.pem" \
  --keyfile "$WORK/key.pem" --access-logfile "$WORK/access.log" --error-logfile "$WORK/error.log" wsgi:app &
SERVER_PID=$!
for _ in $(seq 50); do curl -skf "$BASE/healthz" >/dev/null && break; sleep 0.2; done
curl -skf "$BASE/healthz" >/dev/null || { cat "$WORK/error.log"; echo "the cabinet did not start" >&2; exit 2; }

# as the subject, over HTTP: a complaint and a name correction, so the staff pages have records to open
seed() {
  "$WAPITI_VENV/bin/python" - "$BASE" "$1" "$SUBJECT_EMAIL" "$SUBJECT_PASSWORD" <<'PY'
import re, sys
import httpx

base, what, email, password = sys.argv[1:]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
      b"trailer<</Root 1 0 R>>\n%%EOF\n"

def submit(client, path, fields, files=None):
    """Post a form with its hidden tokens (CSRF, one-time submission), as a browser would."""
    page = client.get(path).text
    hidden = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', page))
    response = client.post(path, data={**hidden, **fields}, files=files)
    if response.status_code != 302:
        sys.exit(f"seeding {path} failed: HTTP {response.status_code}")
    return response.headers["location"]

with httpx.Client(base_url=base, verify=False, headers={"Referer": base + "/"}) as client:
    submit(client, "/login", {"email": email, "password": password})
    if what == "complaint":
        print("seeded", submit(client, "/cabinet/complaints/new", {
            "subject": "Scan: wrong address", "body": "My address in your records is out of date.",
            "desired_outcome": "Correct it."}))
    else:
        print("seeded", submit(client, "/cabinet/profile/edit", {
            "email": email, "phone": "+77011234567", "surname": "Сейітова-Ахметова", "given_name": "Айгерім",
            "patronymic": "Нұрланқызы", "reason": "Marriage", "current_password": password},
            files={"documents": ("marriage.pdf", PDF, "application/pdf")}))
PY
}

# the findings per module, and proof that the crawl reached the pages behind the sign-in
summarize() {
  "$WAPITI_VENV/bin/python" - "$BASE" "$@" <<'PY'
import json, re, sys
from collections import Counter
from urllib.parse import urlsplit

import httpx

base, report_path, role, elapsed, log_path = sys.argv[1:]
MUST_REACH = {  # paths (regular expressions) each pass must have crawled: proof that it worked signed in
    "subject": ["/cabinet/profile/edit", "/cabinet/complaints/new", "/cabinet/consents"],
    "support": ["/staff", "/staff/complaints", "/staff/subjects", "/staff/corrections",
                r"/staff/subjects/\d+/act", "/cabinet/profile/edit"],  # the act-on-behalf form, the acting session
    "translator": ["/translate", "/translate/kk", "/translate/ru", r"/translate/(kk|ru)/upload"],
    "admin": ["/admin/users", "/admin/policies", "/admin/calendar", "/translate/translators", "/staff"],
}


def replay(http_request, body):
    """Send a finding's request again, with another body: the cabinet's status code (None: not the cabinet's)."""
    head = http_request.split("\n\n", 1)[0].splitlines()
    method, target, _version = head[0].split(" ", 2)
    # one of each header (gunicorn refuses a repeated Content-Type with its own 400), host and length recomputed
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in head[1:] if ": " in line)}
    for name in ("host", "content-length"):
        headers.pop(name, None)
    with httpx.Client(base_url=base, verify=False) as client:
        response = client.request(method, target, headers=headers, content=body.encode())
    return response.status_code if "content-security-policy" in response.headers else None


def reviewed_false_positive(module, item):
    """Findings examined by hand and shown harmless: each says why, and is checked again here, on this server."""
    body = item["http_request"].rsplit("\n", 1)[-1]
    prefixed_token = re.compile(r"(^|&)(\w+-csrf_token)=[^&]*")
    if module == "csrf" and item["info"] == "Lack of anti CSRF token" and prefixed_token.search(body):
        # a form with a WTForms prefix names its token e.g. note-csrf_token, which is not in wapiti's fixed list
        # of token names; Flask-WTF checks it all the same: the same request with a forged token must get 400,
        # and the request as wapiti sent it must not
        forged = replay(item["http_request"], prefixed_token.sub(r"\1\2=wapiti", body))
        if forged == 400 and replay(item["http_request"], body) not in (400, None):
            return "the token is there, as note-csrf_token, and a forged one gets 400"
    return None


report = json.load(open(report_path, encoding="utf-8"))
crawled = report["infos"].get("crawled_pages") or []
paths = {urlsplit(page["request"]["url"]).path for page in crawled}
forms = sum(1 for page in crawled if page["request"]["method"] == "POST")
print(f"pass {role}: {elapsed} s, {len(crawled)} requests crawled ({len(paths)} paths, {forms} form posts)")
missing = [path for path in MUST_REACH.get(role, []) if not any(re.fullmatch(path, p) for p in paths)]
findings, reviewed = Counter(), Counter()
for kind in ("vulnerabilities", "anomalies"):
    for category, items in report[kind].items():
        for item in items:
            why = reviewed_false_positive(item["module"], item)
            (reviewed if why else findings)[(item["module"], category)] += 1
            print(f"  {'reviewed false positive (' + why + ')' if why else kind[:-3]}: {item['module']} / "
                  f"{category}: {item['method']} {item['path']} [{item['parameter']}] {item['info']}")
for (module, category), count in sorted(findings.items()):
    print(f"  {module:<14} {category}: {count}")
print(f"  total findings: {sum(findings.values())} (and {sum(reviewed.values())} reviewed false positives)")
log = open(log_path, encoding="utf-8", errors="replace").read()
for module in sorted(set(re.findall(r"Max attack time was reached for module (\w+)", log))):
    print(f"  note: module {module} stopped at the attack time limit (SCAN_MAX_ATTACK_TIME) before it was done")
if missing:
    print(f"  NOT REACHED (sign-in failed?): {', '.join(missing)}")
sys.exit(1 if findings or missing else 0)
PY
}

rm -rf "$OUT" && mkdir -p "$OUT"
seed correction
status=0
for pass in $PASSES; do
  read -r email password <<<"$(login_of "$pass")"
  [[ -n "$email" ]] || { echo "no demo login for $pass" >&2; exit 2; }
  echo "== wapiti $WAPITI_VERSION, pass '$pass' ($email), modules: $MODULES"
  sign_in=(--form-url "$BASE/login" --form-user "$email" --form-password "$password")
  # keep the session: no sign-out, no password change, no end of the acting session
  excluded=(-x "$BASE/logout" -x "$BASE/cabinet/password" -x "$BASE/staff/act/stop")
  case $pass in
    subject) starts=(-s "$BASE/cabinet") ;;
    support) starts=(-s "$BASE/staff" -s "$BASE/staff/subjects?q=demo" -s "$BASE/cabinet")   # search finds the subject
             sign_in+=(--form-script "$ROOT/benchmarks/scan_acting.py") ;;   # then reason, basis scan: acting
    translator) starts=(-s "$BASE/translate" -s "$BASE/translate/kk" -s "$BASE/translate/ru") ;;
    admin) starts=(-s "$BASE/staff" -s "$BASE/admin/users" -s "$BASE/admin/policies" -s "$BASE/admin/calendar"
                   -s "$BASE/translate") ;;
  esac
  common=(
    -u "$BASE/" "${starts[@]}" --scope folder --store-session "$WORK/session-$pass" --store-config "$WORK/config-$pass"
    "${sign_in[@]}" "${excluded[@]}"
    -m "$MODULES" --endpoint "http://127.0.0.1:9/" --dns-endpoint localhost --no-bugreport -v 1
  )
  seed complaint   # a fresh one each pass: the subject's pass may have withdrawn the last
  started=$SECONDS
  "$WAPITI_VENV/bin/wapiti" "${common[@]}" --flush-session -d 5 --max-links-per-page 100 \
    --max-scan-time "$MAX_SCAN_TIME" --max-attack-time "$MAX_ATTACK_TIME" -t 15 \
    -f json -dr 2 -o "$OUT/$pass.json" >"$OUT/$pass.log" 2>&1 || true
  elapsed=$((SECONDS - started))
  # the same session again, no crawl and no module: the HTML report of what was found
  "$WAPITI_VENV/bin/wapiti" "${common[@]}" -m "" --skip-crawl -f html -o "$OUT/$pass-html" >>"$OUT/$pass.log" 2>&1 || true
  summarize "$OUT/$pass.json" "$pass" "$elapsed" "$OUT/$pass.log" || status=1
done
cp "$WORK/access.log" "$OUT/access.log"
exit $status
