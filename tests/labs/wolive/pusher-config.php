<?php
// wolive lab (written by hand, not by install.php: it could not write here, and its $domain would be
// the Api host without port). $domain: the chat system, where the pusher posts its channel hook
// ({$domain}/admin/event: an agent's channel kefuN added -> that agent online, removed -> offline).
$domain = 'http://127.0.0.1:8091';
$app_key = 'wolivelabappkey1';
$app_secret = 'wolivelabsecret0123456789abcdef0';
$app_id = 232;
$websocket_port = 9090;   // the visitor's and the agent's pages connect here
$api_port = 2080;         // the PHP side pushes here (ahost:aport)
