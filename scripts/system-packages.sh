#!/usr/bin/env bash
# Installs the system packages the tests need when they are missing: a PostgreSQL server for the
# database tests, Chromium for the browser tests, Node.js/npm for the front-end packages served by the app,
# bgpdump for the routing tests and benchmark; for the PDF reports, Pango (WeasyPrint draws text with it), fonts
# that cover Latin, Cyrillic, Arabic and CJK (Noto, Amiri) and poppler's pdftoppm/pdftotext, with which the tests
# read the PDFs back; for the deployment of docs/deploy.md (tests/test_deploy.py), nginx, openssl (the test's
# certificate) and systemd's systemd-analyze (which verifies the page's unit files).
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v bgpdump >/dev/null 2>&1 || missing+=(bgpdump)  # the MRT reader tests and bench/routing.py compare with it
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
ldconfig -p | grep -q libpangoft2-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
[ -d /usr/share/fonts/opentype/fonts-hosny-amiri ] || missing+=(fonts-hosny-amiri)
[ -x /usr/sbin/nginx ] || missing+=(nginx)  # Debian 12's nginx package holds the server (nginx-light adds a module)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
