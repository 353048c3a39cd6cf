#!/bin/sh
# Start the wolive lab's daemons (built by RECIPE.md / build.sh under $WOLIVE), each only if it
# is not running: mariadb :3306 (shared with the LHC lab), php-fpm :9092, nginx :8091 (wolive)
# + :8092 (shop page), the workerman push server :9090 (websocket) + :2080 (its HTTP API).
# Idempotent.  Usage: sh tests/labs/wolive/up.sh
set -u
WOLIVE=${WOLIVE:-/work/labs/wolive}
LOGS=$WOLIVE/logs
mkdir -p "$LOGS"

. "$(dirname "$0")/../daemons.sh"
mariadb "$LOGS/mariadb.log"
php_fpm 9092 "$WOLIVE/conf/php-fpm.conf" "$LOGS/php-fpm.pid"
nginx_up "$WOLIVE/conf/nginx.conf" "$LOGS/nginx.pid" 8091 8092

if ! listening 9090 || ! listening 2080; then
  echo "starting the push server (workerman, 127.0.0.1:9090 websocket, :2080 api)"
  # in the foreground under setsid: workerman 3.5.15's daemon mode (-d) dies on PHP 8 (fclose(null))
  cd "$WOLIVE/src/ymwl_pusher" && setsid nohup php start.php start >> "$LOGS/pusher.log" 2>&1 &
  wait_port 9090 && wait_port 2080
fi

shop=$(code http://127.0.0.1:8092/)
chat=$(code 'http://127.0.0.1:8091/layer?visiter_id=&visiter_name=&avatar=&business_id=1&groupid=0&product=%7B%7D')
embed=$(code http://127.0.0.1:8091/assets/layer/ymwl_mini1.js)
echo "wolive: shop http://127.0.0.1:8092/ -> $shop; chat /layer -> $chat; embed ymwl_mini1.js -> $embed; push :9090 $(listening 9090 && echo up || echo down)"
[ "$shop" = 200 ] && [ "$chat" = 200 ] && [ "$embed" = 200 ] && listening 9090 && exit 0
echo "wolive is not healthy (not built? see tests/labs/wolive/RECIPE.md)"; exit 1
