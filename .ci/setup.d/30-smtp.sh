# SMTP server that captures mail (MailDev 3.0.0 from npm): SMTP on 1025, JSON API on 1080,
# both on loopback only. Installs into /tmp if absent, starts it if not running, waits
# until its API answers, and exports the variables sharelink-mail's tests read.
maildev_dir="${MAILDEV_DIR:-/tmp/maildev}"
maildev_bin="$maildev_dir/node_modules/.bin/maildev"
maildev_smtp_port="${MAILDEV_SMTP_PORT:-1025}"
maildev_web_port="${MAILDEV_WEB_PORT:-1080}"
maildev_api="http://127.0.0.1:$maildev_web_port"

if ! curl -sf "$maildev_api/api/healthz" >/dev/null 2>&1; then
  if [ ! -x "$maildev_bin" ]; then
    command -v npm >/dev/null 2>&1 || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    }
    npm install --silent --no-audit --no-fund --prefix "$maildev_dir" maildev@3.0.0 >/dev/null 2>&1
  fi
  nohup "$maildev_bin" --ip 127.0.0.1 --web-ip 127.0.0.1 \
    -s "$maildev_smtp_port" -w "$maildev_web_port" >/tmp/maildev.log 2>&1 &
  maildev_ready=false
  for _ in $(seq 1 60); do
    if curl -sf "$maildev_api/api/healthz" >/dev/null 2>&1; then maildev_ready=true; break; fi
    sleep 0.5
  done
  if [ "$maildev_ready" != true ]; then
    echo "MailDev did not start; see /tmp/maildev.log" >&2
    cat /tmp/maildev.log >&2 || true
    exit 1
  fi
fi
export SHARELINK_TEST_SMTP="${SHARELINK_TEST_SMTP:-smtp://127.0.0.1:$maildev_smtp_port}"
export SHARELINK_TEST_SMTP_API="${SHARELINK_TEST_SMTP_API:-$maildev_api}"
