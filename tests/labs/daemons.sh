# Sourced by each lab's up.sh: start a daemon only if its port is not served yet.
#   mariadb LOG                       the MariaDB every lab shares (:3306)
#   php_fpm PORT CONF PIDFILE         a lab's php-fpm pool
#   nginx_up CONF PIDFILE PORT...     a lab's nginx (a half-up master of ours is restarted)
listening() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
wait_port() { i=0; while ! listening "$1"; do i=$((i + 1)); [ $i -gt 30 ] && return 1; sleep 1; done; }
code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }

mariadb() {
  mysqladmin -uroot ping >/dev/null 2>&1 && return 0
  echo "starting mariadb"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  setsid nohup /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 --port=3306 >> "$1" 2>&1 &
  i=0; until mysqladmin -uroot ping >/dev/null 2>&1; do i=$((i + 1)); [ $i -gt 30 ] && { echo "mariadb did not start: $1"; exit 1; }; sleep 1; done
}

php_fpm() {
  listening "$1" && return 0
  echo "starting php-fpm (127.0.0.1:$1)"
  rm -f "$3"
  php-fpm8.2 -y "$2" && wait_port "$1"
}

nginx_up() {
  conf=$1 pidfile=$2; shift 2
  down=""; for port in "$@"; do listening "$port" || down=1; done
  [ -z "$down" ] && return 0
  echo "starting nginx (127.0.0.1: $*)"
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"; sleep 1
  fi
  nginx -c "$conf" && for port in "$@"; do wait_port "$port"; done
}
