#!/bin/sh
# Start the Live Helper Chat lab's daemons (built by ../shared/labs/lhc/RECIPE.md under $LHC),
# each only if it is not running: mariadb :3306, php-fpm :9082, nginx :8081 (LHC) + :8082 (shop).
# Idempotent: run it as often as you like.  Usage: sh tests/labs/lhc/up.sh
set -u
LHC=${LHC:-/work/labs/lhc}

listening() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
wait_port() { i=0; while ! listening "$1"; do i=$((i + 1)); [ $i -gt 30 ] && return 1; sleep 1; done; }

if ! mysqladmin -uroot ping >/dev/null 2>&1; then
  echo "starting mariadb"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  setsid nohup /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 --port=3306 >> "$LHC/mariadb.log" 2>&1 &
  i=0; until mysqladmin -uroot ping >/dev/null 2>&1; do i=$((i + 1)); [ $i -gt 30 ] && { echo "mariadb did not start: $LHC/mariadb.log"; exit 1; }; sleep 1; done
fi

if ! listening 9082; then
  echo "starting php-fpm (lhc pool, 127.0.0.1:9082)"
  rm -f "$LHC/logs/php-fpm.pid"
  php-fpm8.2 -y "$LHC/conf/php-fpm.conf" && wait_port 9082
fi

if ! listening 8081 || ! listening 8082; then
  echo "starting nginx (127.0.0.1:8081, :8082)"
  if [ -s "$LHC/logs/nginx.pid" ] && kill -0 "$(cat "$LHC/logs/nginx.pid")" 2>/dev/null; then
    kill "$(cat "$LHC/logs/nginx.pid")"; sleep 1   # a half-up master of ours: restart it
  fi
  nginx -c "$LHC/conf/nginx.conf" && wait_port 8082
fi

code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
shop=$(code http://127.0.0.1:8082/)
rest=$(curl -s -u operator1:opkey-0123456789abcdef 'http://127.0.0.1:8081/index.php/restapi/getuser?username=operator1' | head -c 40)
echo "lhc: shop http://127.0.0.1:8082/ -> $shop; REST getuser -> $rest"
[ "$shop" = 200 ] && case $rest in *'"error":false'*) exit 0 ;; esac
echo "lhc is not healthy (if the database lost its rows: RECIPE.md steps 5-6)"; exit 1
