# S3-compatible server for sharelink-storage's tests: moto (PyPI) on 127.0.0.1:5000.
# Sourced by .ci/run with `set -euo pipefail`; safe to source again (reuses a running server).
SHARELINK_S3_VENV="${SHARELINK_S3_VENV:-/tmp/s3venv}"
SHARELINK_S3_PORT="${SHARELINK_S3_PORT:-5000}"
SHARELINK_S3_URL="http://127.0.0.1:${SHARELINK_S3_PORT}"

if ! curl -sf -o /dev/null "${SHARELINK_S3_URL}/moto-api/"; then
  if [ ! -x "${SHARELINK_S3_VENV}/bin/moto_server" ]; then
    python3 -m venv "${SHARELINK_S3_VENV}"
    "${SHARELINK_S3_VENV}/bin/pip" install -q --disable-pip-version-check 'moto[s3]' flask flask-cors
  fi
  # setsid + nohup: the server outlives this script and ignores the CI shell's hang-up.
  setsid nohup "${SHARELINK_S3_VENV}/bin/moto_server" -H 127.0.0.1 -p "${SHARELINK_S3_PORT}" \
    >/tmp/moto.log 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    curl -sf -o /dev/null "${SHARELINK_S3_URL}/moto-api/" && break
    sleep 0.5
  done
  if ! curl -sf -o /dev/null "${SHARELINK_S3_URL}/moto-api/"; then
    echo "moto_server did not start; its log:" >&2
    cat /tmp/moto.log >&2
    return 1 2>/dev/null || exit 1
  fi
fi

export SHARELINK_TEST_S3_ENDPOINT="${SHARELINK_TEST_S3_ENDPOINT:-${SHARELINK_S3_URL}}"
export SHARELINK_TEST_S3_BUCKET="${SHARELINK_TEST_S3_BUCKET:-sharelink-test}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-sharelink-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-sharelink-test-secret}"
export AWS_REGION="${AWS_REGION:-us-east-1}"

# Create the bucket (moto accepts unsigned requests; 409 means it already exists).
status="$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
  "${SHARELINK_TEST_S3_ENDPOINT}/${SHARELINK_TEST_S3_BUCKET}")"
case "$status" in
  200|409) ;;
  *) echo "could not create bucket ${SHARELINK_TEST_S3_BUCKET} (HTTP $status)" >&2
     return 1 2>/dev/null || exit 1 ;;
esac
echo "S3 (moto) at ${SHARELINK_TEST_S3_ENDPOINT}, bucket ${SHARELINK_TEST_S3_BUCKET}"
