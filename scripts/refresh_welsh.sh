#!/bin/sh
# Refresh the Welsh catalogue, copro/locale/cy/LC_MESSAGES/django.po, keeping every translation.
#
# The one catalogue holds three sets of strings:
#   1. copro's own, from its Python files and templates (Django's makemessages);
#   2. django-allauth's, for the pages Copro uses from it: account (sign-up, sign-in, email
#      management, password reset and change), MFA (TOTP, recovery codes) and the layouts.
#      allauth ships no Welsh, so its English catalogue is the source. Entries used only by
#      features Copro does not turn on are left out, told apart by their source references:
#      socialaccount, openid, idp, usersessions, headless, phone, webauthn / passkey and
#      login-by-code;
#   3. the messages of Django's password validators (django/contrib/auth/password_validation.py),
#      which Django's own Welsh catalogue leaves untranslated but the sign-up page shows.
# makemessages alone would drop sets 2 and 3 (not in copro's source; --no-obsolete removes them),
# so this script runs makemessages, then merges them back in with their existing
# translations (msgmerge against the previous catalogue, then msgcat --use-first).
# New or changed strings arrive untranslated or marked fuzzy: translate them, remove "fuzzy",
# then check with  msgfmt --check-format -o /dev/null copro/locale/cy/LC_MESSAGES/django.po
#
# Usage, from anywhere:  sh scripts/refresh_welsh.sh
# Needs: the project's virtualenv (PYTHON=... to use another interpreter) and GNU gettext.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)  # the repository
COPRO="$ROOT/copro"
HERE="$COPRO/locale"
PY=${PYTHON:-$ROOT/.venv/bin/python}
PO=$HERE/cy/LC_MESSAGES/django.po
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ -f "$PO" ]; then cp "$PO" "$TMP/previous.po"; fi

# 1. copro's own strings (templates under copro/templates/ and copro/*/templates/ included).
(cd "$COPRO" && COPRO_DEBUG=1 PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
    "$PY" -m django makemessages -l cy --settings=copro.settings --no-obsolete -i "migrations/*")

# 2. allauth's strings, filtered, as a template (references prefixed with "allauth/"),
#    and the password validators' messages.
"$PY" - "$TMP/allauth.pot" "$TMP" <<'PYEOF'
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import allauth
import django
import polib

out_path, tmp = sys.argv[1], Path(sys.argv[2])
package = Path(allauth.__file__).resolve().parent
source = package / "locale" / "en" / "LC_MESSAGES" / "django.po"
if not source.exists():
    # No English catalogue shipped: extract one from allauth's Python files and templates.
    copy = tmp / "allauth"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "locale"))
    (copy / "locale").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}  # no LOCALE_PATHS
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=copy, env=env, check=True,
    )
    source = copy / "locale" / "en" / "LC_MESSAGES" / "django.po"

# A source file of a feature Copro does not use: by folder, or by a name such as
# mfa/webauthn/..., mfa/email/webauthn_added_message.txt, account/phone_change.html,
# account/request_login_code.html, account/signup_by_passkey.html.
EXCLUDED = re.compile(
    r"^(templates/)?(socialaccount|idp|openid|usersessions|headless)/"
    r"|webauthn|passkey|phone|login_code"
)

en = polib.pofile(str(source))
pot = polib.POFile(wrapwidth=79)
pot.metadata = {
    "Project-Id-Version": "django-allauth (as used by Copro)",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
}
kept = left_out = 0
for entry in en:
    if entry.obsolete:
        continue
    if entry.occurrences and all(EXCLUDED.search(path) for path, _ in entry.occurrences):
        left_out += 1
        continue
    entry.occurrences = [(f"allauth/{path}", line) for path, line in entry.occurrences]
    entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
    entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    entry.msgstr = ""
    if entry.msgid_plural:
        entry.msgstr_plural = {0: "", 1: ""}
    pot.append(entry)
    kept += 1
print(f"allauth: {kept} entries kept, {left_out} left out (features Copro does not use)")

# Django's own Welsh catalogue leaves its password validators' messages untranslated, and they
# show on the sign-up and password pages: take them from django/contrib/auth/password_validation.py.
validators = Path(django.__file__).resolve().parent / "contrib" / "auth" / "password_validation.py"
subprocess.run(
    ["xgettext", "--language=Python", "--from-code=UTF-8", "--no-wrap", "--keyword=gettext_lazy",
     "--keyword=ngettext_lazy:1,2", "--keyword=pgettext:1c,2", "--keyword=pgettext_lazy:1c,2",
     f"--directory={validators.parent.parent.parent.parent}", "--output", str(tmp / "validators.pot"),
     "django/contrib/auth/password_validation.py"],
    check=True,
)
known = {(entry.msgctxt, entry.msgid) for entry in pot}
for entry in polib.pofile(str(tmp / "validators.pot")):
    if (entry.msgctxt, entry.msgid) not in known:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: "", 1: ""}
        pot.append(entry)
print(f"django password validators: {len(pot) - len(known)} entries")
pot.save(out_path)
PYEOF

# 3. Give those entries the translations they already had, then put everything in one file
#    (copro's entry wins where the same msgid is in both).
if [ -f "$TMP/previous.po" ]; then
    msgmerge --quiet --no-wrap "$TMP/previous.po" "$TMP/allauth.pot" -o "$TMP/allauth-cy.po"
else
    cp "$TMP/allauth.pot" "$TMP/allauth-cy.po"
fi
msgcat --use-first "$PO" "$TMP/allauth-cy.po" -o "$TMP/merged.po"

# 4. Welsh header (makemessages writes a template header for a new catalogue).
"$PY" - "$TMP/merged.po" <<'PYEOF'
import sys

import polib

path = sys.argv[1]
po = polib.pofile(path, wrapwidth=79)
po.header = "Welsh (Cymraeg) translation of Copro, including django-allauth's strings.\nRefresh with: sh scripts/refresh_welsh.sh"
po.metadata_is_fuzzy = False
po.metadata.update({
    "Project-Id-Version": "Copro",
    "Language-Team": "Welsh <cy@li.org>",
    "Language": "cy",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=6; plural=(n==0) ? 0 : (n==1) ? 1 : (n==2) ? 2 : (n==3) ? 3 : (n==6) ? 4 : 5;",
})
if "FULL NAME" in po.metadata.get("Last-Translator", "FULL NAME"):
    po.metadata["Last-Translator"] = "Copro contributors"
if "YEAR" in po.metadata.get("PO-Revision-Date", "YEAR"):
    po.metadata["PO-Revision-Date"] = po.metadata.get("POT-Creation-Date", "")
po.save(path)
PYEOF
msgcat "$TMP/merged.po" -o "$PO"

total=$(msgattrib --no-obsolete "$PO" | grep -c '^msgid ' || true)
todo=$(msgattrib --untranslated --no-obsolete "$PO" | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$PO" | grep -c '^msgid ' || true)
echo "$PO: $((total - 1)) entries; untranslated: $((todo > 0 ? todo - 1 : 0)); fuzzy: $((fuzzy > 0 ? fuzzy - 1 : 0))"
