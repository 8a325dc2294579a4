# PostgreSQL and MariaDB: this machine kind ships them; start them if down, install if absent.
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v mariadbd >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql mariadb-server >/dev/null
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! mariadb-admin -h 127.0.0.1 -u root status >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  for _ in $(seq 1 30); do mariadb-admin -h 127.0.0.1 -u root status >/dev/null 2>&1 && break; sleep 1; done
fi
export SHARELINK_TEST_POSTGRES_URL="${SHARELINK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export SHARELINK_TEST_MYSQL_URL="${SHARELINK_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"
