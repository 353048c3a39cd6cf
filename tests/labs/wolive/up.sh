#!/bin/sh
# Start the wolive lab's daemons (built by RECIPE.md / build.sh under $WOLIVE), each only if it
# is not running: mariadb :3306 (shared with the LHC lab), php-fpm :9092, nginx :8091 (wolive)
# + :8092 (shop page), the workerman push server :9090 (websocket) + :2080 (its HTTP API).
# Idempotent.  Usage: sh tests/labs/wolive/up.sh
set -u
WOLIVE=${WOLIVE:-/work/labs/wolive}
LOGS=$WOLIVE/logs
mkdir -p "$LOGS"

listening() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
wait_port() { i=0; while ! listening "$1"; do i=$((i + 1)); [ $i -gt 30 ] && return 1; sleep 1; done; }

if ! mysqladmin -uroot ping >/dev/null 2>&1; then
  echo "starting mariadb"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  setsid nohup /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 --port=3306 >> "$LOGS/mariadb.log" 2>&1 &
  i=0; until mysqladmin -uroot ping >/dev/null 2>&1; do i=$((i + 1)); [ $i -gt 30 ] && { echo "mariadb did not start: $LOGS/mariadb.log"; exit 1; }; sleep 1; done
fi

if ! listening 9092; then
  echo "starting php-fpm (wolive pool, 127.0.0.1:9092)"
  rm -f "$LOGS/php-fpm.pid"
  php-fpm8.2 -y "$WOLIVE/conf/php-fpm.conf" && wait_port 9092
fi

if ! listening 8091 || ! listening 8092; then
  echo "starting nginx (127.0.0.1:8091, :8092)"
  if [ -s "$LOGS/nginx.pid" ] && kill -0 "$(cat "$LOGS/nginx.pid")" 2>/dev/null; then
    kill "$(cat "$LOGS/nginx.pid")"; sleep 1   # a half-up master of ours: restart it
  fi
  nginx -c "$WOLIVE/conf/nginx.conf" && wait_port 8092
fi

if ! listening 9090 || ! listening 2080; then
  echo "starting the push server (workerman, 127.0.0.1:9090 websocket, :2080 api)"
  # in the foreground under setsid: workerman 3.5.15's daemon mode (-d) dies on PHP 8 (fclose(null))
  cd "$WOLIVE/src/ymwl_pusher" && setsid nohup php start.php start >> "$LOGS/pusher.log" 2>&1 &
  wait_port 9090 && wait_port 2080
fi

code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
shop=$(code http://127.0.0.1:8092/)
chat=$(code 'http://127.0.0.1:8091/layer?visiter_id=&visiter_name=&avatar=&business_id=1&groupid=0&product=%7B%7D')
embed=$(code http://127.0.0.1:8091/assets/layer/ymwl_mini1.js)
echo "wolive: shop http://127.0.0.1:8092/ -> $shop; chat /layer -> $chat; embed ymwl_mini1.js -> $embed; push :9090 $(listening 9090 && echo up || echo down)"
[ "$shop" = 200 ] && [ "$chat" = 200 ] && [ "$embed" = 200 ] && listening 9090 && exit 0
echo "wolive is not healthy (not built? see tests/labs/wolive/RECIPE.md)"; exit 1
