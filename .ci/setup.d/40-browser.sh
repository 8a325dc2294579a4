# Headless Chromium and ChromeDriver (Debian packages) for the real-browser tests.
# ChromeDriver listens on 127.0.0.1:9515; the tests start Chromium through it.
# fonts-noto-cjk: the Chinese pages render in real glyphs, not boxes, in screenshots.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 \
  || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
fi
webdriver_port="${WEBDRIVER_PORT:-9515}"
if ! curl -sf "http://127.0.0.1:$webdriver_port/status" >/dev/null 2>&1; then
  setsid nohup chromedriver --port="$webdriver_port" --allowed-ips=127.0.0.1 \
    >/tmp/chromedriver.log 2>&1 </dev/null &
  for _ in $(seq 1 40); do
    curl -sf "http://127.0.0.1:$webdriver_port/status" >/dev/null 2>&1 && break
    sleep 0.25
  done
  if ! curl -sf "http://127.0.0.1:$webdriver_port/status" >/dev/null 2>&1; then
    echo "chromedriver did not start; its log:" >&2
    cat /tmp/chromedriver.log >&2 || true
    return 1 2>/dev/null || exit 1
  fi
fi
export SHARELINK_TEST_WEBDRIVER="${SHARELINK_TEST_WEBDRIVER:-http://127.0.0.1:$webdriver_port}"
export SHARELINK_TEST_CHROMIUM="${SHARELINK_TEST_CHROMIUM:-$(command -v chromium)}"
# axe-core (npm, pinned) for the accessibility checks of the browser tests.
axe_version=4.14.1
axe_dir=/tmp/axe-core
if ! grep -qs "\"version\": \"$axe_version\"" "$axe_dir/node_modules/axe-core/package.json"; then
  if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  npm install --silent --no-audit --no-fund --prefix "$axe_dir" "axe-core@$axe_version" >/dev/null
fi
export SHARELINK_TEST_AXE="${SHARELINK_TEST_AXE:-$axe_dir/node_modules/axe-core/axe.min.js}"
