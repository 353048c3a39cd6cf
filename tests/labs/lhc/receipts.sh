#!/bin/sh
# The LHC lab's second shop, whose widget shows read receipts: a widget theme with Live Helper
# Chat's own "keep double tick" setting (bot_configuration keep_double_tick), so that a visitor's
# message, once an operator has seen it, keeps a tick titled "Seen" (msg-del-st-3) instead of
# losing its mark. Idempotent. Usage: sh tests/labs/lhc/receipts.sh   (after up.sh)
set -eu
LHC=${LHC:-/work/labs/lhc}
theme=$(mysql -uroot lhc -N -e "select id from lh_abstract_widget_theme where name = 'watchdog-lab receipts'")
if [ -z "$theme" ]; then
  # LHC's own form fills every column; strict mode off for this insert only leaves the rest empty
  mysql -uroot lhc -e "SET SESSION sql_mode=''; insert into lh_abstract_widget_theme (name, bot_configuration, alias)
    values ('watchdog-lab receipts', '{\"keep_double_tick\":true}', '')"
  theme=$(mysql -uroot lhc -N -e "select id from lh_abstract_widget_theme where name = 'watchdog-lab receipts'")
fi
sed "s/leaveamessage:true,/leaveamessage:true,theme:$theme,/; s/<h1>LHC 演示商城<\/h1>/<h1>LHC 演示商城 (已读回执)<\/h1>/" \
  "$LHC/host/index.html" > "$LHC/host/receipts.html"
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8082/receipts.html)
echo "lhc receipts shop: http://127.0.0.1:8082/receipts.html -> $code (theme $theme)"
[ "$code" = 200 ]
