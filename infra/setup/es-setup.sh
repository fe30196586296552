#!/usr/bin/env bash
# One-shot setup of the Elasticsearch users (run by the `es-setup` service of compose.yaml).
# Idempotent: every request is a PUT/POST that replaces the previous state.
set -euo pipefail
ES=http://elasticsearch:9200
auth=(-u "elastic:${ELASTIC_PASSWORD}")
json=(-H 'Content-Type: application/json')

echo "setting the kibana_system password"
curl -fsS "${auth[@]}" "${json[@]}" -X POST "$ES/_security/user/kibana_system/_password" \
  -d "{\"password\":\"${KIBANA_PASSWORD}\"}" >/dev/null

echo "creating role shoplog_writer"
curl -fsS "${auth[@]}" "${json[@]}" -X PUT "$ES/_security/role/shoplog_writer" -d '{
  "cluster": ["monitor", "manage_index_templates", "manage_ilm"],
  "indices": [{
    "names": ["logs-shoplog.*"],
    "privileges": ["create_doc", "auto_configure", "read", "view_index_metadata", "maintenance"]
  }]
}' >/dev/null

echo "creating user shoplog_writer"
curl -fsS "${auth[@]}" "${json[@]}" -X PUT "$ES/_security/user/shoplog_writer" \
  -d "{\"password\":\"${SHOPLOG_ES_PASSWORD}\",\"roles\":[\"shoplog_writer\"],\"full_name\":\"Shoplog writer (server and Logstash)\"}" >/dev/null
echo "done"
