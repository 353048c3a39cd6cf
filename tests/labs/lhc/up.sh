#!/bin/sh
# Start the Live Helper Chat lab's daemons (built by ../shared/labs/lhc/RECIPE.md under $LHC),
# each only if it is not running: mariadb :3306, php-fpm :9082, nginx :8081 (LHC) + :8082 (shop).
# Idempotent: run it as often as you like.  Usage: sh tests/labs/lhc/up.sh
set -u
LHC=${LHC:-/work/labs/lhc}

. "$(dirname "$0")/../daemons.sh"
mariadb "$LHC/mariadb.log"
php_fpm 9082 "$LHC/conf/php-fpm.conf" "$LHC/logs/php-fpm.pid"
nginx_up "$LHC/conf/nginx.conf" "$LHC/logs/nginx.pid" 8081 8082

shop=$(code http://127.0.0.1:8082/)
rest=$(curl -s -u operator1:opkey-0123456789abcdef 'http://127.0.0.1:8081/index.php/restapi/getuser?username=operator1' | head -c 40)
echo "lhc: shop http://127.0.0.1:8082/ -> $shop; REST getuser -> $rest"
[ "$shop" = 200 ] && case $rest in *'"error":false'*) exit 0 ;; esac
echo "lhc is not healthy (if the database lost its rows: RECIPE.md steps 5-6)"; exit 1
