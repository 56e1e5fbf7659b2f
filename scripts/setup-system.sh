#!/usr/bin/env bash
# Installs the system packages repo2video needs, only when something is missing:
# ffmpeg/ffprobe (probing and the bare-ffmpeg benchmark), espeak-ng (second TTS
# engine), Debian's chromium (the Dagster UI browser test; Playwright drives it, no
# browser download), DejaVu and Droid Fallback fonts (Latin/Cyrillic/Greek and CJK on slides),
# openssl (the tests make a throw-away CA for their loopback HTTPS git servers).
# docker-compose (checks the deployment's compose file). PostgreSQL for the tests comes
# from scripts/postgres.sh when the machine has no server.
set -euo pipefail
need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v ffprobe >/dev/null || need+=(ffmpeg)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v git >/dev/null || need+=(git)
command -v chromium >/dev/null || need+=(chromium chromium-driver)
command -v openssl >/dev/null || need+=(openssl)
# Rasterises the repositories' SVG pictures (logos, diagrams) for the picture slide.
command -v rsvg-convert >/dev/null || need+=(librsvg2-bin)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || need+=(fonts-droid-fallback)
# Validates deploy/compose.yaml in the tests (Debian's docker-compose; no Docker engine needed).
command -v docker-compose >/dev/null || need+=(docker-compose)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "==> installing system packages: ${need[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "error: missing system packages (${need[*]}) and not root; install them with apt-get and rerun" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
